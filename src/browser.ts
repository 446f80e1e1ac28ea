// synack, browser entry point: the stack, the simulated network, web streams, schedulers and
// traces. No node: imports anywhere below this file (`stack.net` needs the Node entry).
export { Stack, registerNet, type StackOptions } from './api/stack.js';
export { Network, type NetworkOptions, type HostSpec } from './api/network.js';
export {
  connectStream, listenStream, type StreamConnection, type StreamListener, type StreamConnectOptions,
  type StreamListenOptions,
} from './api/streams.js';
export { HostTable, LoopHold, type ApiHost } from './api/host.js';
export { isIP, isIPv4, isIPv6 } from './api/ip.js';
export { systemError, type NodeSystemError } from './api/errors.js';
export { HostStack, DEFAULT_LIMITS, type HostStackOptions, type HostLimits, type InterfaceOptions, type ConnRow } from './stack/host.js';
export { SocketError, type SocketLayer, type SocketWatch, type SockAddr, type Errno, type SocketEventName, type SockOpt, type PollResult } from './stack/types.js';
export { VirtualScheduler } from './sim/scheduler.js';
export { VirtualClock } from './sim/clock.js';
export { RealTimeScheduler } from './sim/realtime.js';
export { SeededRng } from './sim/random.js';
export type { Scheduler, Clock, Rng, TimerHandle } from './sim/types.js';
export { SimLan, type SimLanOptions } from './link/sim-lan.js';
export { SimLink, type SimLinkOptions } from './link/sim-link.js';
export type { LinkPort } from './link/types.js';
export type { Impairments } from './link/sim-impair.js';
export { TraceRecorder, type TraceEvent, type TraceSink } from './trace/trace.js';
export { DEFAULT_CONFIG, TcpError, TCP_STATES, type TcpState, type ConnectionConfig, type ConnStatus } from './tcp/types.js';
