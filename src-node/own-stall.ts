/**
 * A timer that runs this much later than it was due means this process itself did not run (stopped,
 * its host or VM paused, its event loop blocked). What peers sent meanwhile waits unread in the
 * sockets, so silence measured across such a gap is this process's own, not the peer's: liveness
 * checks start their wait over instead of blaming the peer.
 */
export const OWN_STALL_MS = 1000;
