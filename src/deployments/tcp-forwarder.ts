import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Listens on one loopback port and pipes every connection to the upstream port of the moment.
 * Changing the upstream sends new connections there; open ones stay with the old upstream
 * until it closes them (a server that stops closes its connections).
 */
export class TcpForwarder {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private upstreamPort: number,
  ) {}

  /** Starts forwarding `127.0.0.1:port` to `127.0.0.1:upstreamPort`; rejects (EADDRINUSE) when the port is taken. */
  static open(port: number, upstreamPort: number): Promise<TcpForwarder> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      const forwarder = new TcpForwarder(server, port, upstreamPort);
      server.on('connection', (client) => forwarder.forward(client));
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(forwarder);
      });
    });
  }

  get upstream(): number {
    return this.upstreamPort;
  }

  set upstream(port: number) {
    this.upstreamPort = port;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private forward(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    }
    // An end is passed on by the pipes (flushing what is buffered); a failure on either side drops both.
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
