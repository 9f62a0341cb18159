//! `hub-proxy`: the public entry point. Longest-prefix routing of HTTP and WebSocket traffic
//! to the hub or to a user's notebook server, with a REST route API compatible with
//! configurable-http-proxy, so the real JupyterHub can drive it and our hub can drive CHP.
//!
//! Nothing lives here yet: the proxy is built by the issue "hub-proxy". It depends on no
//! other crate of this workspace, and never will.
