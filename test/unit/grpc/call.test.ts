import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CallCancellation, RpcCall } from '../../../src/grpc/call.js';
import type { RpcDescriptor } from '../../../src/grpc/rpc.js';
import { issueToken } from '../../../src/tokens/rpcs.js';

/** What grpc-js's server call does on cancellation: the flag first, then the event. */
class FakeServerCall extends EventEmitter {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}

const callWith = (cancellation: CallCancellation): RpcCall =>
  new RpcCall({ rpc: issueToken as RpcDescriptor, service: undefined }, new Metadata(), {}, cancellation, 'peer', () => ({}));

describe('CallCancellation', () => {
  it('aborts a signal asked for before the client went', () => {
    const grpcCall = new FakeServerCall();
    const call = callWith(new CallCancellation(grpcCall));
    const signal = call.signal;
    expect(signal.aborted).toBe(false);
    expect(call.outcome()).toBe(status.OK);
    grpcCall.cancel();
    expect(signal.aborted).toBe(true);
    expect(call.signal).toBe(signal);
    expect(call.outcome()).toBe(status.CANCELLED);
  });

  it('gives an aborted signal when first asked after the client went', () => {
    const grpcCall = new FakeServerCall();
    const call = callWith(new CallCancellation(grpcCall));
    grpcCall.cancel();
    expect(call.outcome()).toBe(status.CANCELLED);
    expect(call.signal.aborted).toBe(true);
  });

  it('listens for the cancellation only once a signal is asked for', () => {
    const grpcCall = new FakeServerCall();
    const call = callWith(new CallCancellation(grpcCall));
    expect(grpcCall.listenerCount('cancelled')).toBe(0);
    void call.signal;
    void call.signal;
    expect(grpcCall.listenerCount('cancelled')).toBe(1);
  });
});
