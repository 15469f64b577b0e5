#!/usr/bin/env python3
"""The benchmark's peer: a small graph generator in the style of StageX's Python one.

Reads every packages/<stage>/<name>/{package.toml,Containerfile}, takes dependencies from
FROM and COPY --from lines with regular expressions (every stage, no stage-graph walk),
expands subpackages to <stage>-<sub> images, topologically sorts (ties by name) and prints
{"packages":[{"name","stage","version","deps"}],"order":[...]} as JSON.

usage: python3 bench/plan/peer.py TREE [NAMESPACE]
"""
import heapq
import json
import os
import re
import sys
import tomllib

FROM_RE = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.M | re.I)
COPY_RE = re.compile(r"^COPY\s+(?:--\S+\s+)*?--from=(\S+)", re.M | re.I)


def main() -> None:
    tree = sys.argv[1]
    ns = sys.argv[2] if len(sys.argv) > 2 else "stagex"
    prefix = ns + "/"
    pkgs = {}
    root = os.path.join(tree, "packages")
    for stage in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, stage))):
            d = os.path.join(root, stage, name)
            with open(os.path.join(d, "package.toml"), "rb") as f:
                meta = tomllib.load(f)["package"]
            with open(os.path.join(d, "Containerfile"), encoding="utf-8") as f:
                text = f.read()
            refs = FROM_RE.findall(text) + COPY_RE.findall(text)
            deps = set()
            for r in refs:
                if r.startswith(prefix):
                    deps.add(r[len(prefix):].split("@")[0].split(":")[0])
            subs = meta.get("subpackages") or [name]
            for s in subs:
                pkgs[f"{stage}-{s}"] = {"stage": stage, "meta": meta, "deps": deps}
    versions = {k: v["meta"].get("version") for k, v in pkgs.items()}
    for k, v in pkgs.items():
        vf = v["meta"].get("version_from")
        if vf:
            versions[k] = versions.get(vf)
    users = {k: [] for k in pkgs}
    pending = {}
    for k, v in pkgs.items():
        v["deps"] = sorted(d for d in v["deps"] if d in pkgs and d != k)
        pending[k] = len(v["deps"])
        for d in v["deps"]:
            users[d].append(k)
    ready = [k for k, n in pending.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        k = heapq.heappop(ready)
        order.append(k)
        for u in users[k]:
            pending[u] -= 1
            if pending[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(pkgs):
        sys.exit("cycle")
    out = {
        "packages": [
            {"name": k, "stage": pkgs[k]["stage"], "version": versions[k], "deps": pkgs[k]["deps"]}
            for k in sorted(pkgs)
        ],
        "order": order,
    }
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
