// Original file: proto/token/v1/token_engine.proto


export interface RevokeTokenResponse {
}

export interface RevokeTokenResponse__Output {
}
