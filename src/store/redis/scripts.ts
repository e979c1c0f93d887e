/**
 * Lua scripts of the Redis token store. Each runs atomically; every key a script
 * touches carries the tenant hash tag (the watermark and family keys are read from the
 * token record, where the key builder wrote them at issue time).
 *
 * Token record (hash): sub, aud (JSON array), clm (JSON object), fam (family id),
 * seq (issue sequence), iat, exp (ms), st (a = active, c = consumed by rotation,
 * r = revoked), rk (JSON array of the watermark keys that apply to the token), uf (the
 * key of the user's live families, when the tenant caps them), and for a DPoP-bound
 * family jkt (the key's RFC 7638 thumbprint).
 *
 * The tenant's refresh high-water mark (`hwm`, ms) is the latest refresh-token `exp` any
 * script has written; ISSUE, ROTATE and IMPORT_TOKENS raise it, it never falls, and it
 * expires at its own value (no token of the tenant outlives it). Family markers and
 * watermarks live until it, or one retention from now when that is later: a revocation
 * must outlive every token it can reach, even one issued under a longer refresh lifetime
 * than the one configured when it is revoked.
 *
 * Revocation events (stream `events`, WatchRevocations) are appended by the same script
 * as the revocation they describe: REVOKE_TOKEN and reuse detection in PRESENT/ROTATE
 * (scope `family`), REVOKE_WATERMARK (`user`, `audience`, `user_audience`). The stream is
 * trimmed on every append to the entries of the last event retention (stream ids are
 * Redis server time, so the trim uses the server's TIME) and expires one retention after
 * its last append.
 *
 * This module exports Lua text only: the Redis command diagnostics
 * (observability/redis-diagnostics.ts) name a script by its export name, lowercased, and
 * recognise it by its body or SHA1. The stores run these through `defineScript`.
 */

/**
 * The refresh high-water mark: `raise_high_water` after writing a record that expires at
 * `exp`; `outlive` after setting a revocation marker with a TTL of `retention` ms
 * (`outlive_until` when the mark was already read).
 */
const HIGH_WATER = `
local function raise_high_water(prefix, exp)
  local key = prefix .. 'hwm'
  if tonumber(exp) > tonumber(redis.call('GET', key) or '0') then
    redis.call('SET', key, exp)
    redis.call('PEXPIREAT', key, exp)
  end
end
local function outlive_until(key, mark, retention)
  mark = tonumber(mark or '0')
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if mark > now + tonumber(retention) then redis.call('PEXPIREAT', key, string.format('%.0f', mark)) end
end
local function outlive(prefix, key, retention)
  outlive_until(key, redis.call('GET', prefix .. 'hwm'), retention)
end
`;

/** Shared helpers: load a live record and decide whether it is revoked. */
const PRELUDE = `${HIGH_WATER}
local function live(key, now)
  local f = redis.call('HMGET', key, 'st', 'seq', 'exp', 'fam', 'rk')
  if not f[1] then return nil end
  if tonumber(f[3]) <= now then return nil end
  return f
end
local function revoked(prefix, f)
  if redis.call('EXISTS', prefix .. 'fr:' .. f[4]) == 1 then return true end
  local rk = cjson.decode(f[5])
  if #rk == 0 then return false end
  local marks = redis.call('MGET', unpack(rk))
  local seq = tonumber(f[2])
  for i = 1, #rk do
    if marks[i] and seq <= tonumber(marks[i]) then return true end
  end
  return false
end
-- Appends a revocation event ({field, value, ...}) and trims the stream to the events of
-- the last keep ms of server time (MINID ~ drops whole stream nodes, so it keeps a
-- little more, never less). The stream then expires keep after its newest event.
local function event(prefix, keep, fields)
  local key = prefix .. 'events'
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('XADD', key, 'MINID', '~', string.format('%.0f', ms - tonumber(keep)), '*', unpack(fields))
  redis.call('PEXPIRE', key, keep)
end
-- Sets the family marker; a family revoked now (not before) gets its event.
local function revoke_family(prefix, fam, retention, keep, at)
  local marker = prefix .. 'fr:' .. fam
  local fresh = redis.call('EXISTS', marker) == 0
  redis.call('SET', marker, '1', 'PX', retention)
  outlive(prefix, marker, retention)
  if fresh then event(prefix, keep, {'scope', 'family', 'family_id', fam, 'revoked_at_ms', at}) end
end
-- The checks of a presented token, shared by PRESENT and ROTATE: 'active' with the record,
-- or why it cannot be used. Presenting an already-rotated token revokes its family.
local function presented(key, prefix, now, retention, keep)
  local f = live(key, now)
  if not f then return 'not_found' end
  if f[1] == 'c' then
    revoke_family(prefix, f[4], retention, keep, string.format('%.0f', now))
    return 'reused'
  end
  if f[1] == 'r' or revoked(prefix, f) then return 'revoked' end
  return 'active', f
end
local function audit(prefix, maxlen, a)
  redis.call('XADD', prefix .. 'audit', 'MAXLEN', '~', maxlen, '*',
    'tenant_id', a[1], 'caller_identity', a[2], 'token_ref', a[3],
    'target', a[4], 'scope', a[5], 'occurred_at', a[6])
end
`;

/**
 * The user's live families (`uf:<user>`, a sorted set of family ids scored by the
 * family's current expiry), for the per-user cap. `admit_family` makes room for a new
 * family: expired ones are dropped; at the cap, families already revoked by marker go
 * first, then the ones that would expire first are revoked (marker and event, as
 * REVOKE_TOKEN does) until one slot is free. `refresh_family` moves a rotated family's
 * score to its new expiry. The set expires with its latest family.
 */
const FAMILIES = `
local function families_expire(uf)
  local top = redis.call('ZRANGE', uf, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', uf, top[2]) end
end
local function admit_family(prefix, uf, fam, exp, cap, now, retention, keep)
  cap = tonumber(cap)
  redis.call('ZREMRANGEBYSCORE', uf, '-inf', now)
  if redis.call('ZCARD', uf) >= cap then
    for _, f in ipairs(redis.call('ZRANGE', uf, 0, -1)) do
      if redis.call('EXISTS', prefix .. 'fr:' .. f) == 1 then redis.call('ZREM', uf, f) end
    end
    local over = redis.call('ZCARD', uf) - cap + 1
    if over > 0 then
      for _, f in ipairs(redis.call('ZRANGE', uf, 0, over - 1)) do revoke_family(prefix, f, retention, keep, now) end
      redis.call('ZREMRANGEBYRANK', uf, 0, over - 1)
    end
  end
  redis.call('ZADD', uf, exp, fam)
  families_expire(uf)
end
local function refresh_family(uf, fam, exp)
  redis.call('ZADD', uf, 'XX', exp, fam)
  families_expire(uf)
end
`;

/**
 * KEYS[1] new record, KEYS[2] the user's live families.
 * ARGV: prefix, sub, aud, clm, fam, iat, exp, rk, then the per-user family cap ('0': no
 * cap, the set is not kept), retention, event retention, jkt ('' when unbound).
 * Returns the issue sequence (the access token's `rsq`: IssueToken signs after this).
 * A DPoP-bound family's records carry `jkt`, the key thumbprint; unbound ones have none.
 */
export const ISSUE = `${PRELUDE}${FAMILIES}
local prefix = ARGV[1]
local seq = redis.call('INCR', prefix .. 'seq')
redis.call('HSET', KEYS[1], 'sub', ARGV[2], 'aud', ARGV[3], 'clm', ARGV[4], 'fam', ARGV[5],
  'seq', seq, 'iat', ARGV[6], 'exp', ARGV[7], 'st', 'a', 'rk', ARGV[8])
if ARGV[12] and ARGV[12] ~= '' then redis.call('HSET', KEYS[1], 'jkt', ARGV[12]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
raise_high_water(prefix, ARGV[7])
if ARGV[9] ~= '0' then
  redis.call('HSET', KEYS[1], 'uf', KEYS[2])
  admit_family(prefix, KEYS[2], ARGV[5], ARGV[7], ARGV[9], ARGV[6], ARGV[10], ARGV[11])
end
return seq
`;

/**
 * KEYS[1] presented record. ARGV: prefix, now, retention, event retention, reserve.
 * Returns {'not_found'} | {'revoked'} | {'reused'} | {'active', sub, aud, clm, fam, seq, jkt}
 * (jkt: the family's DPoP key thumbprint, '' when unbound).
 * With reserve = '1', an active token also reserves the next issue sequence number
 * (`seq`, else ''): the access token of the refresh is signed with it, between this
 * script and ROTATE, so it is taken while the refresh call is in progress.
 */
export const PRESENT = `${PRELUDE}
local state, f = presented(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4])
if state ~= 'active' then return {state} end
local d = redis.call('HMGET', KEYS[1], 'sub', 'aud', 'clm', 'jkt')
local seq = ''
if ARGV[5] == '1' then seq = tostring(redis.call('INCR', ARGV[1] .. 'seq')) end
return {'active', d[1], d[2], d[3], f[4], seq, d[4] or ''}
`;

/**
 * KEYS[1] presented record, KEYS[2] successor record.
 * ARGV: prefix, now, retention, clm, iat, exp, event retention, seq.
 * The successor takes `seq` (reserved by PRESENT), or the next issue sequence number
 * when it is ''. Returns {'rotated'} | {'not_found'} | {'revoked'} | {'reused'}.
 */
export const ROTATE = `${PRELUDE}${FAMILIES}
local prefix = ARGV[1]
local state, f = presented(KEYS[1], prefix, tonumber(ARGV[2]), ARGV[3], ARGV[7])
if state ~= 'active' then return {state} end
redis.call('HSET', KEYS[1], 'st', 'c')
local d = redis.call('HMGET', KEYS[1], 'sub', 'aud', 'jkt')
local seq = ARGV[8]
if seq == '' then seq = redis.call('INCR', prefix .. 'seq') end
redis.call('HSET', KEYS[2], 'sub', d[1], 'aud', d[2], 'clm', ARGV[4], 'fam', f[4],
  'seq', seq, 'iat', ARGV[5], 'exp', ARGV[6], 'st', 'a', 'rk', f[5])
-- The DPoP binding is copied from the consumed record, never taken from the caller.
if d[3] then redis.call('HSET', KEYS[2], 'jkt', d[3]) end
redis.call('PEXPIREAT', KEYS[2], ARGV[6])
raise_high_water(prefix, ARGV[6])
local uf = redis.call('HGET', KEYS[1], 'uf')
if uf then
  redis.call('HSET', KEYS[2], 'uf', uf)
  refresh_family(uf, f[4], ARGV[6])
end
return {'rotated'}
`;

/**
 * KEYS[1] record of the token to revoke (may not exist).
 * ARGV: prefix, retention, audit maxlen, the six audit fields, event retention, revoked-at ms.
 * Returns 1 when this call revoked the family (record, marker, event and audit record
 * written), 0 when the token is unknown or its family was already revoked: a no-op
 * writes nothing, so repeated no-ops cannot push real records out of the audit stream.
 */
export const REVOKE_TOKEN = `${PRELUDE}
local prefix, retention, maxlen = ARGV[1], ARGV[2], ARGV[3]
local fam = redis.call('HGET', KEYS[1], 'fam')
if not fam or redis.call('EXISTS', prefix .. 'fr:' .. fam) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'st', 'r')
revoke_family(prefix, fam, retention, ARGV[10], ARGV[11])
audit(prefix, maxlen, {ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]})
return 1
`;

/**
 * KEYS[1] watermark. ARGV: prefix, retention, audit maxlen, the six audit fields, event
 * retention, revoked-at ms, event scope, user id, audience.
 * Sets the watermark to the current issue sequence: every token issued so far (and every
 * number a refresh in progress has reserved) is at or below it, every later one above.
 * Returns the watermark.
 */
export const REVOKE_WATERMARK = `${PRELUDE}
local prefix, retention, maxlen = ARGV[1], ARGV[2], ARGV[3]
-- One read for the sequence and the high-water mark: a bulk revocation stays a fixed handful of commands.
local marks = redis.call('MGET', prefix .. 'seq', prefix .. 'hwm')
local seq = marks[1] or '0'
redis.call('SET', KEYS[1], seq, 'PX', retention)
outlive_until(KEYS[1], marks[2], retention)
audit(prefix, maxlen, {ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]})
local fields = {'scope', ARGV[12], 'watermark', seq, 'revoked_at_ms', ARGV[11]}
if ARGV[13] ~= '' then table.insert(fields, 'user_id'); table.insert(fields, ARGV[13]) end
if ARGV[14] ~= '' then table.insert(fields, 'audience'); table.insert(fields, ARGV[14]) end
event(prefix, ARGV[10], fields)
return tonumber(seq)
`;

/**
 * Tokens carried over from another service (migrate-from-go). KEYS: one record per token.
 * ARGV: prefix, retention, then eight per token: sub, aud, clm, fam, iat, exp, rk,
 * revoked ('1' or '0'). An absent record is written like ISSUE writes one (state 'r' when
 * revoked at the source); an existing one is left as it is, unless the source revoked it
 * since and it is not revoked yet: then it and its family are revoked, as REVOKE_TOKEN
 * does (without an audit record: no caller asked for it). Each token is one step of this
 * script, so each is all or nothing. Returns one outcome per token:
 * 'imported' | 'imported_revoked' | 'already' | 'revoked'.
 */
export const IMPORT_TOKENS = `${HIGH_WATER}
local prefix, retention = ARGV[1], ARGV[2]
local out = {}
for i, key in ipairs(KEYS) do
  local b = 2 + (i - 1) * 8
  local revoked = ARGV[b + 8] == '1'
  local f = redis.call('HMGET', key, 'st', 'fam')
  if not f[1] then
    local seq = redis.call('INCR', prefix .. 'seq')
    local st = 'a'
    if revoked then st = 'r' end
    redis.call('HSET', key, 'sub', ARGV[b + 1], 'aud', ARGV[b + 2], 'clm', ARGV[b + 3], 'fam', ARGV[b + 4],
      'seq', seq, 'iat', ARGV[b + 5], 'exp', ARGV[b + 6], 'st', st, 'rk', ARGV[b + 7])
    redis.call('PEXPIREAT', key, ARGV[b + 6])
    raise_high_water(prefix, ARGV[b + 6])
    if revoked then out[i] = 'imported_revoked' else out[i] = 'imported' end
  elseif revoked and f[1] ~= 'r' and redis.call('EXISTS', prefix .. 'fr:' .. f[2]) == 0 then
    redis.call('HSET', key, 'st', 'r')
    redis.call('SET', prefix .. 'fr:' .. f[2], '1', 'PX', retention)
    outlive(prefix, prefix .. 'fr:' .. f[2], retention)
    out[i] = 'revoked'
  else
    out[i] = 'already'
  end
end
return out
`;

/**
 * KEYS: records. ARGV: prefix. Reads only. Returns one state per record:
 * 'absent' | 'active' | 'consumed' | 'revoked' (the record, or its family, is revoked).
 */
export const TOKEN_STATES = `
local out = {}
for i, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'st', 'fam')
  if not f[1] then
    out[i] = 'absent'
  elseif f[1] == 'r' or redis.call('EXISTS', ARGV[1] .. 'fr:' .. f[2]) == 1 then
    out[i] = 'revoked'
  elseif f[1] == 'c' then
    out[i] = 'consumed'
  else
    out[i] = 'active'
  end
end
return out
`;

/** KEYS[1] signing-key hash. ARGV: kid, blob. Stores the candidate only if there is no key. */
export const LOAD_OR_CREATE_KEY = `
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
return redis.call('HVALS', KEYS[1])
`;

/**
 * KEYS[1] idempotency record. ARGV: owner, pending ttl ms.
 * Returns {'claimed'} | {'pending'} | {'completed', record}. A record that vanished
 * between SET and GET cannot happen: both run in this one script.
 */
export const IDEMPOTENCY_CLAIM = `
if redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return {'claimed'} end
local v = redis.call('GET', KEYS[1])
if string.sub(v, 1, 2) == 'p:' then return {'pending'} end
return {'completed', v}
`;

/** KEYS[1] idempotency record. ARGV: owner, completed record, ttl ms. */
export const IDEMPOTENCY_COMPLETE = `
if redis.call('GET', KEYS[1]) ~= 'p:' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/** KEYS[1] idempotency record. ARGV: owner. Compare-and-delete. */
export const IDEMPOTENCY_RELEASE = `
if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * GCRA, one call. KEYS[1] the caller's budget: its theoretical arrival time (TAT, ms).
 * ARGV: emission interval (ms per call, 1000 / rate), burst. A call at `now` passes when
 * the TAT, moved on by one interval, is at most `burst` intervals ahead of `now`; then the
 * TAT is stored, expiring when it is reached (the budget is full again: nothing to keep).
 * Time is Redis's own (TIME), so replicas with skewed clocks share one budget fairly.
 * Returns {1, 0} (passes) or {0, ms until a call would pass}; a refusal writes nothing.
 */
export const RATE_LIMIT = `
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - burst * interval
if now < allowed_at then return {0, math.ceil(allowed_at - now)} end
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now))
return {1, 0}
`;

/** KEYS[1] lock. ARGV: owner. Compare-and-delete release. */
export const LOCK_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * The reconciler's fix-up of one SCAN page. KEYS: keys of one tenant (one hash tag).
 * ARGV: prefix, now (ms), retention (ms), the record, marker and watermark kinds
 * (TOKEN_KEY_KINDS), then the tenant's singleton keys (sequence, signing keys, audit),
 * then the event stream's key and its retention (ms), then the API-key kind prefix.
 * A key without an expiry gets one: a token record at its `exp` (no later than one
 * retention from now; a record with no readable `exp` gets the retention), a marker or
 * watermark the retention or the high-water mark (as when it was set), the event stream
 * its event retention. Singletons are left as they are, and so are API-key records and
 * indexes (a key that never expires has none); any other key without an expiry is only
 * counted. The PTTL check and the fix
 * run in one script, so a key written meanwhile by a normal script (which always sets
 * its expiry) is never touched. Returns {fixed, unknown}.
 */
export const RECONCILE_KEYS = `${HIGH_WATER}
local prefix, now, retention = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local record, marker, watermark = ARGV[4], ARGV[5], ARGV[6]
local singletons = {[ARGV[7]] = true, [ARGV[8]] = true, [ARGV[9]] = true}
local events = ARGV[10]
local api_keys = ARGV[12]
local function kind_is(rest, kind) return string.sub(rest, 1, #kind) == kind end
local fixed, unknown = 0, 0
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) == -1 and not singletons[key] then
    local rest = string.sub(key, #prefix + 1)
    if key == events then
      redis.call('PEXPIRE', key, ARGV[11])
      fixed = fixed + 1
    elseif kind_is(rest, record) then
      local exp = nil
      if redis.call('TYPE', key)['ok'] == 'hash' then exp = tonumber(redis.call('HGET', key, 'exp')) end
      if exp and exp <= now + retention then
        redis.call('PEXPIREAT', key, string.format('%.0f', math.floor(exp)))
      else
        redis.call('PEXPIRE', key, ARGV[3])
      end
      fixed = fixed + 1
    elseif kind_is(rest, marker) or kind_is(rest, watermark) then
      redis.call('PEXPIRE', key, ARGV[3])
      outlive(prefix, key, ARGV[3])
      fixed = fixed + 1
    elseif kind_is(rest, api_keys) then
      -- API keys that never expire, and their indexes: kept on purpose (src/apikeys/).
    else
      unknown = unknown + 1
    end
  end
end
return {fixed, unknown}
`;

/*
 * API keys (src/apikeys/). Record (hash `ak:<key id>`): own, nm, clm (JSON), aud (JSON),
 * cat, exp (ms, 0 = never), lu (last used, ms, 0 = never), st (a = active, r = revoked),
 * dg (the keyed digest of the secret), mem (its member in the owner index). Owner index
 * (sorted set `ako:<owner>`, every score 0): members `<15-digit created ms>:<key id>`, so
 * lexicographic order is creation order and a member is a stable cursor. Live index
 * (sorted set `akl`): key id scored by expiry (inf = never), for the live-keys gauge.
 * Both indexes expire with their last expiring member and are persistent while they hold
 * a key that never expires; members whose record is gone are dropped on create and list.
 */
const API_KEY_PRELUDE = `${PRELUDE}
-- Keeps an index at least until exp (ms, 0 = never); pt is its PTTL before the write.
local function keep_until(key, pt, exp, now)
  if exp == 0 then redis.call('PERSIST', key) return end
  if pt == -1 then return end
  local left = exp - now
  if pt > left then left = pt end
  redis.call('PEXPIRE', key, string.format('%.0f', left))
end
local function key_id_of(member) return string.sub(member, 17) end
`;

/**
 * KEYS[1] record, KEYS[2] owner index, KEYS[3] live index. ARGV: prefix, key id, owner,
 * name, clm, aud, created (ms), exp (ms, 0 = never), digest, index member, limit, now,
 * audit maxlen, the six audit fields. Counts the owner's live keys (dropping index members
 * whose record is gone); at the limit, stores nothing and returns 0. Else stores the key,
 * its index entries and its audit record and returns 1.
 */
export const CREATE_API_KEY = `${API_KEY_PRELUDE}
local prefix, now, limit = ARGV[1], tonumber(ARGV[12]), tonumber(ARGV[11])
local live = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local f = redis.call('HMGET', prefix .. 'ak:' .. key_id_of(m), 'st', 'exp')
  if not f[1] then
    redis.call('ZREM', KEYS[2], m)
  elseif f[1] == 'a' and (tonumber(f[2]) == 0 or tonumber(f[2]) > now) then
    live = live + 1
  end
end
if live >= limit then return 0 end
local exp = tonumber(ARGV[8])
redis.call('HSET', KEYS[1], 'own', ARGV[3], 'nm', ARGV[4], 'clm', ARGV[5], 'aud', ARGV[6], 'cat', ARGV[7],
  'exp', ARGV[8], 'lu', '0', 'st', 'a', 'dg', ARGV[9], 'mem', ARGV[10])
if exp > 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[8]) end
local pt = redis.call('PTTL', KEYS[2])
redis.call('ZADD', KEYS[2], 0, ARGV[10])
keep_until(KEYS[2], pt, exp, now)
pt = redis.call('PTTL', KEYS[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[12])
local score = ARGV[8]
if exp == 0 then score = '+inf' end
redis.call('ZADD', KEYS[3], score, ARGV[2])
keep_until(KEYS[3], pt, exp, now)
audit(prefix, ARGV[13], {ARGV[14], ARGV[15], ARGV[16], ARGV[17], ARGV[18], ARGV[19]})
return 1
`;

/**
 * KEYS[1] owner index. ARGV: prefix, cursor member ('' = from the first), limit, now.
 * Returns {next cursor ('' on the last page), then per key: key id, own, nm, clm, aud,
 * cat, exp, lu, st}. Expired keys are skipped; members whose record is gone are dropped.
 */
export const LIST_API_KEYS = `
local prefix, limit, now = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local min = '-'
if ARGV[2] ~= '' then min = '(' .. ARGV[2] end
local out = {''}
local count = 0
while count < limit do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, limit - count)
  if #batch == 0 then break end
  for _, m in ipairs(batch) do
    min = '(' .. m
    local id = string.sub(m, 17)
    local f = redis.call('HMGET', prefix .. 'ak:' .. id, 'own', 'nm', 'clm', 'aud', 'cat', 'exp', 'lu', 'st')
    if not f[1] then
      redis.call('ZREM', KEYS[1], m)
    elseif tonumber(f[6]) == 0 or tonumber(f[6]) > now then
      table.insert(out, id)
      for i = 1, 8 do table.insert(out, f[i]) end
      count = count + 1
    end
  end
end
if count >= limit and #redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, 1) > 0 then
  out[1] = string.sub(min, 2)
end
return out
`;

/**
 * KEYS[1] record, KEYS[2] revocation marker, KEYS[3] live index. ARGV: prefix, key id,
 * retention (ms: the tenant's event retention), audit maxlen, the six audit fields,
 * revoked-at ms. Writes the audit record; revokes an active key (or the tokens of an
 * unknown one, once): record state r (kept one retention so it is listed as revoked), the
 * marker (one retention: every token the key minted has expired by then) and the
 * `api_key` event. Returns 1 when this call revoked, else 0.
 */
export const REVOKE_API_KEY = `${PRELUDE}
local prefix, retention = ARGV[1], ARGV[3]
audit(prefix, ARGV[4], {ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]})
local st = redis.call('HGET', KEYS[1], 'st')
if st == 'r' or (not st and redis.call('EXISTS', KEYS[2]) == 1) then return 0 end
if st then
  redis.call('HSET', KEYS[1], 'st', 'r')
  redis.call('PEXPIRE', KEYS[1], retention)
end
redis.call('SET', KEYS[2], '1', 'PX', retention)
redis.call('ZREM', KEYS[3], ARGV[2])
event(prefix, retention, {'scope', 'api_key', 'api_key_id', ARGV[2], 'revoked_at_ms', ARGV[11]})
return 1
`;

/**
 * KEYS[1] record. ARGV: prefix, now. Returns {'unknown'} | {'revoked'} | {'expired'} |
 * {'active', own, nm, clm, aud, cat, exp, lu, dg, seq}: a usable key also takes the next
 * number of the tenant's issue sequence (the minted token's rsq).
 */
export const LOOKUP_API_KEY = `
local f = redis.call('HMGET', KEYS[1], 'own', 'nm', 'clm', 'aud', 'cat', 'exp', 'lu', 'st', 'dg')
if not f[1] then return {'unknown'} end
if f[8] ~= 'a' then return {'revoked'} end
local exp = tonumber(f[6])
if exp ~= 0 and exp <= tonumber(ARGV[2]) then return {'expired'} end
local seq = redis.call('INCR', ARGV[1] .. 'seq')
return {'active', f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[9], tostring(seq)}
`;

/** KEYS[1] record. ARGV: now, coarse ms. Sets lu to now unless it is within coarse ms of it. Returns 1 when set. */
export const TOUCH_API_KEY = `
local lu = redis.call('HGET', KEYS[1], 'lu')
if not lu then return 0 end
if tonumber(ARGV[1]) - tonumber(lu) < tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'lu', ARGV[1])
return 1
`;

/** KEYS: none besides the audit stream's tenant (KEYS[1] = the audit stream). ARGV: prefix, maxlen, the six audit fields. */
export const API_KEY_AUDIT = `${PRELUDE}
audit(ARGV[1], ARGV[2], {ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]})
return 1
`;
