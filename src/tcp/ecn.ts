// RFC 3168 6.1: classic ECN in TCP, the per-connection state. The rules live in
// tcp/connection.ts (negotiate, output, processAck, processText); this holds what they share.

/** ECN state of one connection (all false/undefined until negotiated). */
export class EcnState {
  /** 6.1.1: both ends agreed (ECN-setup SYN answered by an ECN-setup SYN-ACK). */
  ok = false;
  /** The SYN we sent last was an ECN-setup SYN (ECE and CWR): 6.1.1.1 fallback clears it. */
  synSent = false;
  /** 6.1.3 receiver: a CE-marked data segment arrived; ECE goes on every ACK until a segment
   *  with CWR arrives. */
  echo = false;
  /** An ECT- or CE-marked data segment has arrived (Linux TCP_ECN_SEEN, tcpi_options). */
  seen = false;
  /** 6.1.2 sender: cwnd was reduced; CWR goes on the next new data segment. */
  cwrPending = false;
  /** 6.1.2: SND.MAX at the last reduction. ECE on ACKs that do not go past it reports
   *  congestion of the window already reduced for: at most one reduction per window. */
  cwrEnd: number | undefined;
}

/** RFC 3168 6.1.1: does the configuration ask for ECN in our SYN (true / 'on'), accept it
 *  (also 'passive', the default), or neither (false)? */
export function ecnInitiates(c: { ecn?: boolean | 'on' | 'passive' }): boolean {
  return c.ecn === true || c.ecn === 'on';
}

export function ecnAccepts(c: { ecn?: boolean | 'on' | 'passive' }): boolean {
  return c.ecn !== false;
}
