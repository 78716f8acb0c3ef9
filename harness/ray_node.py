"""`ray start ...` for a node of a cluster that lives on this machine's loopback only (the Ray tests'
and the benchmark's): `python -m harness.ray_node start --head ...`.

Ray 2.60 turns 127.0.0.1 into the machine's outward address (ray._private.services.
resolve_ip_for_localhost), so `--node-ip-address=127.0.0.1` alone still serves on the network.
Its one switch that keeps loopback, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, also refuses to start a
second node. So this node's `ray start` takes 127.0.0.1 as its address, and the processes it starts
(which take their addresses from their command lines) get the switch.
"""

import os
import sys

import ray._private.services as services
from ray.scripts.scripts import main

LOOPBACK = "127.0.0.1"

if __name__ == "__main__":
    services.get_node_ip_address = lambda address=None: LOOPBACK
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    sys.argv = ["ray", *sys.argv[1:]]
    main()
