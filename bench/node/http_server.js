// Node's `http` hello world: the everyday alternative the keep-alive server is compared with.
'use strict';
const http = require('node:http');
const body = 'Hello, World!';
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  })
  .listen(Number(process.argv[2] || 8080), '127.0.0.1');
