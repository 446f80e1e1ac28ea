// Short explanations, in our own words, of each state and each arc of RFC 9293 Figure 5.
import type { TcpState } from '../../src/tcp/types.js';

export const STATE_TEXT: Record<TcpState, string> = {
  CLOSED:
    'No connection exists: there is no TCB (transmission control block) to hold sequence numbers or buffers. ' +
    'The RFC calls it fictional because it is simply the absence of state; a segment arriving for a closed port is answered with RST.',
  LISTEN:
    'A passive open: the application is willing to accept connections on this port and waits for a SYN from any peer. ' +
    'Nothing has been sent yet, so a listener costs no traffic; each arriving SYN forks a new connection in SYN-RECEIVED.',
  'SYN-SENT':
    'An active open sent its SYN (carrying our initial sequence number) and waits for the peer to answer. ' +
    'The SYN is retransmitted on a timer until a SYN,ACK, a SYN (simultaneous open) or a RST arrives, or we give up.',
  'SYN-RECEIVED':
    'We have received the peer\'s SYN and sent our own SYN with an ACK of theirs; we wait for the ACK of our SYN. ' +
    'Only when both initial sequence numbers are acknowledged is the connection synchronized in both directions.',
  ESTABLISHED:
    'The connection is open: both sequence spaces are synchronized and data flows both ways. ' +
    'Most of a connection\'s life is spent here; closing starts when either side\'s application calls CLOSE or a FIN arrives.',
  'FIN-WAIT-1':
    'We called CLOSE and sent a FIN: we will send no more data, but we still receive. ' +
    'We wait for two things that may come in either order: the ACK of our FIN and the peer\'s own FIN.',
  'FIN-WAIT-2':
    'Our FIN has been acknowledged, so our direction is finished; the peer may keep sending (a half-closed connection). ' +
    'We wait for the peer\'s FIN; many stacks bound this wait with a timer so a silent peer cannot hold the TCB forever.',
  'CLOSE-WAIT':
    'The peer sent a FIN, so it will send no more data; we acknowledged it and told our application (end of file). ' +
    'The connection stays here until our application also calls CLOSE; a connection stuck here is usually an application that never closes.',
  CLOSING:
    'Both sides sent FIN at about the same time: we received the peer\'s FIN before the ACK of ours. ' +
    'We acknowledged their FIN and now wait only for the ACK of our own FIN; this is the simultaneous-close path.',
  'LAST-ACK':
    'We received the peer\'s FIN earlier and have now sent our own FIN; we wait for its ACK. ' +
    'When it comes the TCB is deleted at once: the other side, the active closer, is the one that waits in TIME-WAIT.',
  'TIME-WAIT':
    'Both FINs are sent and acknowledged, yet the TCB is kept for 2 MSL (twice the maximum segment lifetime). ' +
    'If our last ACK is lost, the peer retransmits its FIN and we can acknowledge it again; and the wait lets old duplicate segments of this connection die out before the same port pair can be reused.',
};

export const ARC_TEXT: Record<string, string> = {
  'closed-listen': 'A passive OPEN creates a TCB and waits for connection requests. No segment is sent.',
  'listen-closed': 'Closing a listener deletes its TCB; there is no peer to tell, so nothing is sent.',
  'closed-synsent':
    'An active OPEN picks an initial sequence number (ISS), sends a SYN carrying it, and waits for the peer. The SYN consumes one sequence number.',
  'synsent-closed': 'CLOSE (or ABORT) before the peer answered just deletes the TCB; the SYN already sent is simply abandoned.',
  'listen-synrcvd':
    'A SYN arrives at the listener: it records the peer\'s ISS (RCV.NXT = SEG.SEQ + 1) and answers with its own SYN plus an ACK of theirs.',
  'listen-synsent': 'A SEND on a listener turns it into an active opener: it must send a SYN first. Rare in practice; most APIs do not allow it.',
  'synrcvd-listen':
    'A RST in SYN-RECEIVED: if we got here from LISTEN (note 1), we go back to listening, so one bad or aborted peer does not close the server.',
  'synsent-synrcvd':
    'Simultaneous open: while waiting for a SYN,ACK we receive a plain SYN. We acknowledge it with SYN,ACK and wait for the ACK of our own SYN.',
  'synrcvd-estab': 'The ACK of our SYN arrives: both sides have now acknowledged each other\'s ISS, so the connection is established.',
  'synsent-estab':
    'The peer\'s SYN,ACK acknowledges our SYN and carries its ISS; we acknowledge it and the connection is open. This is the second and third step of the three-way handshake.',
  'synrcvd-finwait1': 'CLOSE before the handshake completed: after the SYN exchange we may send a FIN at once.',
  'estab-finwait1': 'The application calls CLOSE: we send a FIN, which consumes one sequence number, and stop sending data. We are the active closer.',
  'estab-closewait':
    'The peer\'s FIN arrives in sequence: we acknowledge it and tell our application there is no more data. We are the passive closer.',
  'finwait1-finwait2': 'The ACK of our FIN arrives before the peer\'s FIN: our direction is closed; we wait for theirs.',
  'finwait1-closing': 'The peer\'s FIN arrives before the ACK of ours: both sides are closing at once. We acknowledge their FIN.',
  'closewait-lastack': 'Our application calls CLOSE too: we send our FIN and wait for its acknowledgment.',
  'finwait2-timewait': 'The peer\'s FIN arrives: we acknowledge it. Both directions are closed, but we must linger in TIME-WAIT.',
  'closing-timewait': 'The ACK of our FIN arrives: both FINs are acknowledged, and we enter TIME-WAIT as the active closer would.',
  'lastack-closed': 'The ACK of our FIN arrives: everything is acknowledged and the passive closer deletes its TCB immediately.',
  'timewait-closed':
    'The 2 MSL timer expires: any retransmitted FIN would have arrived by now, and old duplicates have died out, so the TCB is deleted.',
  'finwait1-timewait':
    'Note 2: the peer\'s FIN arrives together with the ACK of our FIN (a combined FIN,ACK). We acknowledge it and go straight to TIME-WAIT.',
};

/** Explanations for transitions Figure 5 leaves out (note 3: resets and aborts; timeouts). */
export function extraArcText(from: TcpState, to: TcpState, cause: string): string {
  const c = cause.toLowerCase();
  if (c.includes('refused') || (from === 'SYN-SENT' && c.includes('rst')))
    return 'The peer answered our SYN with RST: nothing listens on that port. The connection is refused and the TCB deleted (note 3: RST arcs are left out of Figure 5).';
  if (c.includes('abort') || c.includes('snd rst'))
    return 'ABORT: the application gives up on the connection; any queued data is discarded and, when synchronized, a RST tells the peer (note 3).';
  if (c.includes('rst'))
    return 'A RST with an acceptable sequence number arrived: the peer has no such connection or aborted it. The TCB is deleted (note 3).';
  if (c.includes('timeout') || c.includes('timed out') || c.includes('retr'))
    return 'A timer ran out (SYN retries, user timeout or R2 retransmissions): the connection is given up and the TCB deleted.';
  return `${from} -> ${to} (${cause}): a transition Figure 5 does not draw; see RFC 9293 3.10 for the event processing.`;
}
