//! The hub: logs users in, keeps users, servers and tokens in a database, renders the spawn
//! form, and starts each user's notebook server as a batch job through a
//! `drivers::Scheduler`, tracking it until the server reports its address and then routing
//! it through `hub-proxy`. Its REST API and OAuth provider are compatible with JupyterHub's.
//!
//! Nothing lives here yet: the hub is built by the issue "The hub" (config, database, login,
//! spawner, REST API, `hub demo`), after the foundation this workspace starts with.
