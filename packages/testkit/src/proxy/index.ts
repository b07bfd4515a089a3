// '@lock/testkit/proxy': a TCP proxy that delays, blackholes or resets connections, for fault tests.
export {
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type ProxyDirection,
  type ProxyMode,
} from './fault-proxy.js';
