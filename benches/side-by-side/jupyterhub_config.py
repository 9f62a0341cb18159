# JupyterHub 6 + batchspawner's PBSSpawner + configurable-http-proxy for the side-by-side
# benchmark (benches/side-by-side/run.sh writes the SBS_* environment). Configured the way
# batchspawner's README documents, with only what this machine needs changed:
#
# - the hub runs the cluster's commands as itself (exec_prefix = ""): the benchmark's users
#   are not system accounts, and batchhub's run submits as the hub's user too;
# - the simulated nodes' names (node0042) resolve nowhere, and every job runs on this
#   machine, so the execution host batchspawner reads from `qstat -fx` is mapped to
#   127.0.0.1 with its documented `state_exechost_exp`;
# - the job runs the repository's notebook stand-in, which reports its port to
#   `/hub/api/batchspawner` itself, as `batchspawner-singleuser` would, so the wrapper is
#   not needed;
# - the benchmark's users are not system accounts, so the home directory batchspawner looks
#   up for the job's output files (`req_homedir`, not configurable) is a shared one, set
#   by the smallest subclass.
#
# Everything else is JupyterHub's and batchspawner's default: Spawner.poll_interval 30 s,
# startup_poll_interval 0.5 s, concurrent_spawn_limit 100, one `qstat -fx <id>` per server
# per poll.
import os

from batchspawner import PBSSpawner
from traitlets import default

d = os.environ["SBS_DIR"]


def secret(name):
    with open(os.path.join(d, name)) as f:
        return f.read().strip()


c = get_config()  # noqa: F821 (JupyterHub provides it)

c.JupyterHub.bind_url = "http://127.0.0.1:%s/" % os.environ["SBS_PUBLIC_PORT"]
c.JupyterHub.hub_bind_url = "http://127.0.0.1:%s/" % os.environ["SBS_HUB_PORT"]
c.JupyterHub.db_url = "sqlite:///%s/jupyterhub.sqlite" % d
c.JupyterHub.cookie_secret_file = os.path.join(d, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(d, "jupyterhub.pid")
c.JupyterHub.log_level = "WARN"

c.ConfigurableHTTPProxy.command = [os.environ["SBS_CHP"]]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%s" % os.environ["SBS_PROXY_API_PORT"]
c.ConfigurableHTTPProxy.auth_token = secret("proxy_token")

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = secret("shared_pw")

# The benchmark's client: an admin service, as batchhub's run has.
c.JupyterHub.services = [{"name": "bench", "api_token": secret("svc_token")}]
c.JupyterHub.load_roles = [{"name": "admin", "services": ["bench"]}]



class BenchPBSSpawner(PBSSpawner):
    @default("req_homedir")
    def _homedir(self):
        return os.path.join(d, "home")


c.JupyterHub.spawner_class = BenchPBSSpawner
c.PBSSpawner.exec_prefix = ""
# The commands by absolute path, as batchspawner's docs suggest when they are not on the
# default PATH (JupyterHub 6 passes no PATH to the commands' environment).
pbs_bin = os.environ["SBS_PBS_BIN"]
c.PBSSpawner.batch_submit_cmd = os.path.join(pbs_bin, "qsub")
c.PBSSpawner.batch_query_cmd = os.path.join(pbs_bin, "qstat") + " -fx {job_id}"
c.PBSSpawner.batch_cancel_cmd = os.path.join(pbs_bin, "qdel") + " {job_id}"
c.PBSSpawner.batchspawner_singleuser_cmd = ""
c.Spawner.cmd = [os.environ["SBS_STANDIN"], "--builtin"]
c.PBSSpawner.req_runtime = "01:00:00"
c.PBSSpawner.req_nprocs = "1"
c.PBSSpawner.req_memory = "1gb"
c.PBSSpawner.state_exechost_exp = "127.0.0.1"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 120
