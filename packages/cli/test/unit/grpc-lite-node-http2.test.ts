import { liteClientSuite } from './grpc-lite.suite.js';

// The same suite over node:http2 (TSCR_WIRE=node-http2), the wire the CLI used before its own client.
liteClientSuite('node-http2');
