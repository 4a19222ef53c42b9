#!/usr/bin/env python3
"""Find a tableorder box over mDNS and fetch /healthz through what it advertises.

Used by the mDNS integration test (tests/api/appliance.rs), which runs it inside a
network namespace of its own:

    mdns_browse.py INSTANCE_NAME TIMEOUT_SECONDS

Browses `_tableorder._tcp.local.` and `_http._tcp.local.` with python-zeroconf. Once
INSTANCE_NAME is resolved on both, prints one JSON line:

    {"name", "addresses", "port", "properties", "http_port", "healthz": {"url", "status", "body"}}

then waits for the service to be withdrawn (goodbye packets) and prints
`{"removed": true}` (or false after TIMEOUT_SECONDS). Exits 1 with
`{"error": ...}` when the service is not found in time.
"""

import json
import sys
import threading
import urllib.request

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

TABLEORDER = "_tableorder._tcp.local."
HTTP = "_http._tcp.local."


def out(obj):
    print(json.dumps(obj), flush=True)


def main():
    instance, timeout = sys.argv[1], float(sys.argv[2])
    wanted = {ty: f"{instance}.{ty}".lower() for ty in (TABLEORDER, HTTP)}
    found = {ty: threading.Event() for ty in wanted}
    removed = threading.Event()

    def on_change(zeroconf, service_type, name, state_change):
        if name.lower() != wanted.get(service_type):
            return
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            found[service_type].set()
        elif state_change is ServiceStateChange.Removed and service_type == TABLEORDER:
            removed.set()

    zc = Zeroconf(ip_version=IPVersion.V4Only)
    browsers = [ServiceBrowser(zc, ty, handlers=[on_change]) for ty in wanted]
    try:
        for ty, ev in found.items():
            if not ev.wait(timeout):
                out({"error": f"{instance} not found as {ty} within {timeout} s"})
                return 1
        info = zc.get_service_info(TABLEORDER, f"{instance}.{TABLEORDER}", timeout=int(timeout * 1000))
        http = zc.get_service_info(HTTP, f"{instance}.{HTTP}", timeout=int(timeout * 1000))
        if info is None or http is None:
            out({"error": f"{instance} found but not resolved"})
            return 1
        addresses = info.parsed_addresses(IPVersion.V4Only)
        props = {
            k.decode(): (v.decode() if v is not None else None)
            for k, v in info.properties.items()
        }
        healthz = {}
        if addresses:
            path = (props.get("path") or "/").rstrip("/")
            url = f"http://{addresses[0]}:{info.port}{path}/healthz"
            # Never through a proxy: the box is on the local link.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(url, timeout=5) as r:
                    healthz = {"url": url, "status": r.status, "body": r.read().decode()}
            except Exception as e:  # reported to the test, which fails with it
                healthz = {"url": url, "error": str(e)}
        out({
            "name": info.name,
            "addresses": addresses,
            "port": info.port,
            "properties": props,
            "http_port": http.port,
            "healthz": healthz,
        })
        out({"removed": removed.wait(timeout)})
        return 0
    finally:
        for b in browsers:
            b.cancel()
        zc.close()


if __name__ == "__main__":
    sys.exit(main())
