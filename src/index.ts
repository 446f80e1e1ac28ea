// synack, Node entry point: everything in the browser entry plus the node:net-compatible API
// (`stack.net`, `createNet`) and the Node-only link types.
import { registerNet } from './api/stack.js';
import { createNet } from './api/net.js';

registerNet(createNet);

export * from './browser.js';
export { createNet, Socket, Server, normalizeConnectArgs } from './api/net.js';
export type {
  NetModule, SocketConstructorOptions, SocketConnectOptions, ServerOptions, ListenOptions, AddressInfo,
} from './api/net.js';
