// The parts of Bun's and Deno's globals the entries use, for `tsc` (which knows neither runtime:
// Bun's types are a package of their own, Deno's ship inside the deno binary). Shapes as
// documented by each runtime; only what bun.ts and deno.ts call.

declare namespace Bun {
  interface SocketAddress {
    address: string;
    port: number;
    family: 'IPv4' | 'IPv6';
  }
  interface Server {
    readonly port: number;
    /** The TCP peer of `request`, or `null` (e.g. a Unix socket). */
    requestIP(request: Request): SocketAddress | null;
  }
  function serve(options: {
    hostname?: string;
    port?: number;
    fetch(request: Request, server: Server): Response | Promise<Response>;
  }): Server;
}

declare namespace Deno {
  interface NetAddr {
    transport: 'tcp' | 'udp';
    hostname: string;
    port: number;
  }
  interface ServeHandlerInfo {
    remoteAddr: NetAddr;
  }
  const env: { toObject(): Record<string, string> };
  function serve(
    options: { hostname?: string; port?: number; onListen?(addr: NetAddr): void },
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
}
