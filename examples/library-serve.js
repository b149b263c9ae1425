// examples/library-serve.js — serve examples/hello-server.wat from a Node program whose event loop keeps running.
//   PORT=8080 node node_modules/wasmx/examples/library-serve.js
const { serve } = require('wasmx');

async function main() {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 50); // guests run on workers: this keeps firing
  const server = await serve(require.resolve('wasmx/examples/hello-server.wat'), {
    instances: 2,
    env: { PORT: process.env.PORT || '8080' },
  });
  server.on('instanceExit', (e) => console.error(`instance ${e.instance} ${e.reason}`));
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const body = await (await fetch(`http://${server.address}/`)).text();
    console.log(`${server.address} said "${body}"; event loop ticks so far: ${ticks}`);
  }
  console.log(`closed with ${await server.close()}`);
  clearInterval(timer); // nothing else is left: the process exits by itself
}

main();
