import { liteClientSuite } from './grpc-lite.suite.js';

// The bundle's gRPC client over the CLI's own HTTP/2 client (wire/h2), against grpc-js's server.
liteClientSuite(undefined);
