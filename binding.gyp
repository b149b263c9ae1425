{
  "variables": {
    "wasmx_liburing%": "<!(node -p \"process.platform==='linux'&&require('fs').existsSync('/usr/include/liburing.h')?1:0\")"
  },
  "targets": [
    {
      "target_name": "wasmx",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/src').filter(f=>f.endsWith('.cc')).map(f=>'native/src/'+f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/src/syscalls/wasi').filter(f=>f.endsWith('.cc')).map(f=>'native/src/syscalls/wasi/'+f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/src/offload').filter(f=>f.endsWith('.cc')).map(f=>'native/src/offload/'+f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/src/syscalls/wasix').filter(f=>f.endsWith('.cc')).map(f=>'native/src/syscalls/wasix/'+f).join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-rtti"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/src/poller/poller_epoll.cc"],
          "libraries": ["-lpthread"],
          "conditions": [
            ["wasmx_liburing==1", {"defines": ["WASMX_HAVE_LIBURING"], "libraries": ["-luring"]}]
          ]
        }],
        ["OS=='mac'", {
          "sources": ["native/src/poller/poller_kqueue.cc"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "OTHER_CPLUSPLUSFLAGS": ["-O2", "-Wall"]
          }
        }]
      ]
    }
  ]
}
