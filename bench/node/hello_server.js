// The hello server's loop on Node's net module (accept -> send -> shutdown -> close), for `bench/run.js --only node-net`:
// what plain Node does with the same work, no wasm involved. Usage: node bench/node/hello_server.js PORT [HOST]
'use strict';
const net = require('node:net');

const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\n\r\nHello, World!');
const port = Number(process.argv[2]);
const host = process.argv[3] ?? '127.0.0.1';
if (!Number.isInteger(port)) {
  process.stderr.write('usage: node bench/node/hello_server.js PORT [HOST]\n');
  process.exit(2);
}
net
  .createServer((sock) => {
    sock.on('error', () => {});
    sock.end(RESPONSE, () => sock.destroy());
  })
  .listen({ port, host, backlog: 1024 }, () => process.stderr.write(`listening on ${host}:${port}\n`));
