#!/usr/bin/env python3
"""vmlint's own benchmark corpus: a deterministic fleet of ESXi hosts and VMs.

    python3 bench/gen_corpus.py OUT --vms N [--seed S]

Writes OUT/hosts/*.host.yaml, OUT/vms/<site>/<team>/<vm>/<vm>.vmx (even VMs)
and OUT/vms/<site>/<team>/<vm>.vm.yaml (odd VMs), and OUT/expected.json:
the findings a correct run of the whole built-in pack gives, per code,
computed by an oracle from the facts written (not from what was planned).

Planted on VMs with DirectPath I/O devices, a few percent each: PT001 (7-8
devices on hardware 10), PT002 (a host with IOMMU disabled), PT003 (a device
disabled on the host, or an address the host lacks), PT004 (a USB controller
from a host that boots from USB), PT005 (hardware 4), PT006 (a delta disk or
a YAML snapshot list), PT007 (suspended), PT008 (YAML: vMotion or fully
automated DRS). Everything else is kept clean on purpose, so that the other
rules must stay silent: memory fully reserved, EFI and 64-bit MMIO for the
GPUs, each host device given to one VM only, ids as the host has them,
hardware 17+ for Dynamic DirectPath, no FT/HA/hot add, no misspelled keys.
VMs without passthrough carry the same facts (old hardware, snapshots,
suspend, vMotion, hot add) as decoys. Python 3 standard library only.
"""

import argparse
import json
import os
import random
import shutil

SITES = ["ams", "fra", "iad", "sjc", "sin"]
ESXI = ["7.0.2", "7.0.3", "8.0.1", "8.0.2", "8.0.3"]
GUESTS = ["ubuntu-64", "rhel9-64", "windows2019srvNext-64", "sles15-64", "other5xlinux-64"]
# (vendor, device, class, name, mmio_gb)
A100 = (0x10DE, 0x20B5, "display", "NVIDIA A100 80GB PCIe", 128)
T4 = (0x10DE, 0x1EB8, "0x0302", "NVIDIA Tesla T4", 16)
E810 = (0x8086, 0x159B, "0x0200", "Intel Ethernet Controller E810-XXV", 0)
CX6 = (0x15B3, 0x101B, "network", "Mellanox ConnectX-6", 0)
NVME = (0x144D, 0xA824, "storage", "Samsung PM1733 NVMe SSD", 0)
USB = (0x8086, 0xA1AF, "0x0c03", "Intel C620 Series USB 3.0 xHCI Controller", 0)
CODES = ["PT%03d" % i for i in range(1, 17)]


def uuid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Host:
    def __init__(self, rng, i):
        self.name = f"esx-{SITES[i % 5]}-{i:04d}"
        self.esxi = rng.choice(ESXI)
        self.iommu = rng.random() >= 0.08
        self.usb_boot = rng.random() < 0.15
        self.system_id = uuid(rng)
        kinds = [A100] * 4 + [T4] * 4 + [E810] * 12 + [CX6] * 4 + [NVME] * 4 + [USB] * 2
        buses = sorted(rng.sample(range(0x10, 0xF0), len(kinds)))
        self.pci = []
        for k, bus in zip(kinds, buses):
            disabled = k in (E810, NVME) and rng.random() < 0.15
            self.pci.append({"addr": f"0000:{bus:02x}:00.0", "bus": bus, "t": k, "on": not disabled})
        self.free = [d for d in self.pci if d["on"] and d["t"] is not USB]
        rng.shuffle(self.free)
        self.blocked = [d for d in self.pci if not d["on"]]
        self.usb = [d for d in self.pci if d["t"] is USB]
        used = {d["bus"] for d in self.pci}
        # addresses this host lacks, each handed out once
        self.ghosts = [b for b in range(0xF0, 0x100) if b not in used]

    def render(self):
        boot, core = ("usb", "usb") if self.usb_boot else ("disk", "file")
        lines = [f"# {self.name}: exported from vCenter", "kind: host", f"name: {self.name}",
                 f"cluster: {self.name[:7]}", f"esxi_version: {self.esxi}",
                 f"iommu: {'enabled' if self.iommu else 'disabled'}", f"boot_device: {boot}",
                 f"coredump: {{ transport: {core} }}", f"system_id: {self.system_id}", "pci:"]
        for d in self.pci:
            v, dev, cls, name, mmio = d["t"]
            lines += [f'  - address: "{d["addr"]}"', f"    vendor_id: 0x{v:04x}", f"    device_id: 0x{dev:04x}",
                      f"    class: {cls}", f"    name: {name}",
                      f"    passthrough: {'enabled' if d['on'] else 'disabled'}"]
            if mmio:
                lines.append(f"    mmio_gb: {mmio}")
        return "\n".join(lines) + "\n"


def plan(rng, vm, host, fmt):
    """Chooses the VM's facts; the oracle later reads only the facts."""
    has_pt = rng.random() < 0.55
    codes = set()
    if has_pt:
        for code, rate in (("PT001", .02), ("PT003", .04), ("PT005", .02), ("PT006", .045), ("PT007", .025)):
            if rng.random() < rate / .55:
                codes.add(code)
        if fmt == "yaml" and rng.random() < .05 / .55:
            codes.add("PT008")
        if host.usb_boot and host.usb and rng.random() < .2:
            codes.add("PT004")
    vm.update(hw=rng.choice([13, 14, 15, 17, 19, 19, 20, 21]), devs=[], snaps=0, suspended=False,
              vmotion=False, drs="manual", hotadd=False, mem=rng.choice([16384, 32768, 65536]))
    if has_pt:
        want = rng.randint(7, 8) if "PT001" in codes else rng.choice([1, 1, 1, 2, 2, 3])
        for _ in range(want):
            if host.free:
                d = host.free.pop()
                vm["devs"].append({"kind": "static", "host_dev": d, "addr": d["addr"]})
        if "PT001" in codes:
            vm["hw"] = 10
        if "PT003" in codes:
            if host.blocked and rng.random() < .6:
                d = host.blocked.pop()
                vm["devs"].append({"kind": "static", "host_dev": d, "addr": d["addr"]})
            elif host.ghosts:
                bus = host.ghosts.pop()
                vm["devs"].append({"kind": "static", "host_dev": None, "addr": f"0000:{bus:02x}:00.0", "ghost": E810})
        if "PT004" in codes:
            d = host.usb.pop()
            vm["devs"].append({"kind": "static", "host_dev": d, "addr": d["addr"]})
        if not vm["devs"]:
            # no device left on this host: a Dynamic DirectPath entry for a model it has
            vm["devs"].append({"kind": "dynamic", "t": E810})
            vm["hw"] = max(vm["hw"], 17)
        if any(d["kind"] == "dynamic" for d in vm["devs"]) and vm["hw"] < 17:
            vm["hw"] = 17
        if "PT005" in codes:
            vm["devs"] = [d for d in vm["devs"] if d["kind"] == "static"] or vm["devs"]
            vm["hw"] = 4 if all(d["kind"] == "static" for d in vm["devs"]) else vm["hw"]
    else:
        # decoys: the same facts on VMs the rules do not concern
        vm["hw"] = 4 if rng.random() < .05 else vm["hw"]
        vm["hotadd"] = rng.random() < .2
    vm["snaps"] = rng.randint(1, 3) if ("PT006" in codes or (not has_pt and rng.random() < .1)) else 0
    vm["suspended"] = "PT007" in codes or (not has_pt and rng.random() < .05)
    if fmt == "yaml" and ("PT008" in codes or (not has_pt and rng.random() < .5)):
        vm["vmotion"], vm["drs"] = rng.choice([(True, "manual"), (False, "fullyAutomated"), (True, "fullyAutomated")])


def limit(hw, esxi):
    if hw <= 10:
        return 6
    if hw <= 19:
        return 16
    if hw == 20:
        return 64 if tuple(map(int, esxi.split("."))) >= (8, 0, 1) else 32
    return 128


def oracle(vm, host):
    """What the built-in pack reports for this VM: {code: count}."""
    out = {}
    devs = vm["devs"]
    uses = any(d["kind"] in ("static", "dynamic") for d in devs)
    if len(devs) > limit(vm["hw"], host.esxi):
        out["PT001"] = 1
    if uses and not host.iommu:
        out["PT002"] = 1
    n3 = n4 = 0
    for d in devs:
        if d["kind"] == "static":
            hd = d["host_dev"]
            if hd is None or not hd["on"]:
                n3 += 1
            if hd is not None and hd["t"] is USB and host.usb_boot:
                n4 += 1
        elif not any(p["on"] and p["t"] is d["t"] for p in host.pci):
            n3 += 1
    if n3:
        out["PT003"] = n3
    if n4:
        out["PT004"] = n4
    if uses and vm["hw"] < 7:
        out["PT005"] = 1
    if uses and vm["snaps"]:
        out["PT006"] = 1
    if uses and vm["suspended"]:
        out["PT007"] = 1
    if uses and (vm["vmotion"] or vm["drs"] == "fullyAutomated"):
        out["PT008"] = 1
    return out


def render_vmx(rng, vm, host):
    n = vm["name"]
    gpu = any(d["kind"] == "static" and d["host_dev"] and d["host_dev"]["t"][4] for d in vm["devs"])
    nl = "\r\n" if rng.random() < .05 else "\n"
    disk = f"{n}-{vm['snaps']:06d}.vmdk" if vm["snaps"] else f"{n}.vmdk"
    L = ['.encoding = "UTF-8"', f"# vmlint: host={host.name}", 'config.version = "8"',
         f'virtualHW.version = "{vm["hw"]}"', f'displayName = "{n}"', f'guestOS = "{rng.choice(GUESTS)}"',
         f'memSize = "{vm["mem"]}"', f'numvcpus = "{rng.choice([2, 4, 8, 16])}"', 'cpuid.coresPerSocket = "2"',
         'vmci0.present = "TRUE"', 'floppy0.present = "FALSE"', 'svga.vramSize = "8388608"',
         'sched.cpu.units = "mhz"', 'sched.cpu.shares = "normal"', 'tools.upgrade.policy = "manual"',
         'scsi0.virtualDev = "pvscsi"', 'scsi0.present = "TRUE"', 'scsi0:0.deviceType = "scsi-hardDisk"',
         f'scsi0:0.fileName = "{disk}"', 'scsi0:0.present = "TRUE"', 'sched.scsi0:0.shares = "normal"',
         'ethernet0.virtualDev = "vmxnet3"', 'ethernet0.networkName = "VM Network"', 'ethernet0.addressType = "vpx"',
         'ethernet0.generatedAddress = "00:50:56:%02x:%02x:%02x"' % (rng.getrandbits(6), rng.getrandbits(8), rng.getrandbits(8)),
         'ethernet0.present = "TRUE"', f'annotation = "Owner: {vm["team"]}|0ATicket: |22OPS-{rng.randrange(99999)}|22"',
         f'uuid.bios = "42 {" ".join("%02x" % rng.getrandbits(8) for _ in range(7))}-{" ".join("%02x" % rng.getrandbits(8) for _ in range(8))}"',
         'pciPassthru*.present = "False"', 'pciBridge0.present = "TRUE"', 'pciBridge4.present = "TRUE"',
         'pciBridge4.virtualDev = "pcieRootPort"', 'pciBridge4.functions = "8"']
    if vm["devs"]:
        L += [f'sched.mem.min = "{vm["mem"]}"', f'sched.mem.minSize = "{vm["mem"]}"', 'sched.mem.pin = "TRUE"']
    else:
        L += ['sched.mem.min = "0"', 'sched.mem.minSize = "0"']
    if vm["devs"] or rng.random() < .5:
        L.append('firmware = "efi"')
    if gpu:
        L += ['pciPassthru.use64bitMMIO = "TRUE"', 'pciPassthru.64bitMMIOSizeGB = "512"']
    idx = 0
    for d in vm["devs"]:
        g = f"pciPassthru{idx}"
        if d["kind"] == "static":
            v, dev = (d["host_dev"]["t"] if d["host_dev"] else d["ghost"])[:2]
            bus = int(d["addr"][5:7], 16)
            addr = f"00000:{bus:03d}:00.0" if rng.random() < .5 else d["addr"]
            L += [f'{g}.id = "{addr}"', f'{g}.deviceId = "0x{dev:04x}"', f'{g}.vendorId = "0x{v:04x}"',
                  f'{g}.systemId = "{host.system_id}"', f'{g}.present = "TRUE"']
        else:
            L += [f'{g}.allowedDevices = "0x{d["t"][0]:04x}:0x{d["t"][1]:04x}"', f'{g}.present = "TRUE"']
        L.append(f'{g}.pciSlotNumber = "{256 + 32 * (idx % 8)}"')
        idx += rng.choice([1, 1, 1, 9])  # sparse indices, as ESXi leaves them
    if vm["hotadd"]:
        L += ['vcpu.hotadd = "TRUE"', 'mem.hotadd = "TRUE"']
    # the rest of what ESXi 8 writes, so that files have a real file's length
    L += [f'pciBridge{b}.{k}' for b in (5, 6, 7) for k in ('present = "TRUE"', 'virtualDev = "pcieRootPort"', 'functions = "8"')]
    L += ['pciBridge0.pciSlotNumber = "17"', 'pciBridge4.pciSlotNumber = "21"', 'pciBridge5.pciSlotNumber = "22"',
          'pciBridge6.pciSlotNumber = "23"', 'pciBridge7.pciSlotNumber = "24"', 'scsi0.pciSlotNumber = "160"',
          'ethernet0.pciSlotNumber = "192"', 'usb_xhci.pciSlotNumber = "224"', 'usb_xhci.present = "TRUE"',
          'hpet0.present = "TRUE"', 'svga.present = "TRUE"', 'svga.autodetect = "TRUE"', 'vmci0.pciSlotNumber = "32"',
          f'vmci0.id = "{-rng.getrandbits(31)}"', 'monitor.phys_bits_used = "45"', 'numa.autosize.cookie = "40012"',
          'numa.autosize.vcpu.maxPerVirtualNode = "4"', 'sched.cpu.latencySensitivity = "normal"', 'sched.cpu.min = "0"',
          'sched.mem.shares = "normal"', f'sched.swap.derivedName = "/vmfs/volumes/{uuid(rng)}/{n}/{n}-{rng.getrandbits(32):08x}.vswp"',
          'tools.remindInstall = "FALSE"', 'tools.guest.desktop.autolock = "TRUE"', 'toolsInstallManager.updateCounter = "3"',
          'toolsInstallManager.lastInstallError = "0"', 'toolScripts.afterPowerOn = "TRUE"', 'toolScripts.afterResume = "TRUE"',
          'toolScripts.beforeSuspend = "TRUE"', 'toolScripts.beforePowerOff = "TRUE"', 'powerType.powerOff = "default"',
          'powerType.suspend = "soft"', 'powerType.reset = "default"', 'bios.bootRetry.delay = "10"', 'replay.supported = "FALSE"',
          'softPowerOff = "FALSE"', 'vmci.filter.enable = "true"', f'vmxstats.filename = "{n}.scoreboard"', f'nvram = "{n}.nvram"',
          f'vm.createDate = "{1500000000000000 + rng.getrandbits(48)}"', 'vmotion.checkpointSVGAPrimarySize = "8388608"',
          'vmotion.svga.mobMaxSize = "8388608"', 'vmotion.svga.graphicsMemoryKB = "8192"', 'svga.guestBackedPrimaryAware = "TRUE"',
          f'migrate.hostLog = "{n}-{rng.getrandbits(32):08x}.hlog"', 'RemoteDisplay.maxConnections = "-1"',
          'sata0.present = "TRUE"', 'sata0.pciSlotNumber = "33"', 'sata0:0.deviceType = "atapi-cdrom"',
          'sata0:0.fileName = "/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0"', 'sata0:0.present = "TRUE"',
          'usb_xhci:4.present = "TRUE"', 'usb_xhci:4.deviceType = "hid"', 'usb_xhci:4.port = "4"', 'usb_xhci:4.parent = "-1"',
          "guestInfo.detailed.data = \"architecture='X86' bitness='64' familyName='Linux' prettyName='Ubuntu 22.04.4 LTS'\"",
          f'vc.uuid = "50 {" ".join("%02x" % rng.getrandbits(8) for _ in range(7))}-{" ".join("%02x" % rng.getrandbits(8) for _ in range(8))}"',
          f'uuid.location = "56 4d {" ".join("%02x" % rng.getrandbits(8) for _ in range(6))}-{" ".join("%02x" % rng.getrandbits(8) for _ in range(8))}"']
    L += ['migrate.encryptionMode = "opportunistic"', 'ftcpt.ftEncryptionMode = "ftEncryptionOpportunistic"',
          'vmotion.checkpointFBSize = "4194304"', 'tools.syncTime = "FALSE"', 'cleanShutdown = "TRUE"',
          f'checkpoint.vmState = "{n + "-1.vmss" if vm["suspended"] else ""}"']
    return nl.join(L) + nl


def render_yaml(rng, vm, host):
    gpu = any(d["kind"] == "static" and d["host_dev"] and d["host_dev"]["t"][4] for d in vm["devs"])
    L = [f"# {vm['name']}: managed by terraform", "kind: vm", f"name: {vm['name']}", f"host: {host.name}",
         f"hardware_version: {vm['hw']}", f"firmware: {'efi' if vm['devs'] else 'bios'}", f"memory_mb: {vm['mem']}"]
    if vm["devs"]:
        L.append("memory_reservation: all" if rng.random() < .5 else f"memory_reservation_mb: {vm['mem']}")
        if gpu:
            L.append("mmio64: { enabled: true, size_gb: 512 }")
        L.append("passthrough:")
        for d in vm["devs"]:
            if d["kind"] == "static":
                L.append(f'  - address: "{d["addr"]}"')
            else:
                L += [f"  - vendor_id: 0x{d['t'][0]:04x}", f"    device_id: 0x{d['t'][1]:04x}"]
    if vm["snaps"]:
        L.append("snapshots: [%s]" % ", ".join(f"snap-{k}" for k in range(vm["snaps"])))
    L.append(f"power_state: {'suspended' if vm['suspended'] else 'poweredOn'}")
    L.append(f"migration: {{ vmotion: {'true' if vm['vmotion'] else 'false'}, drs_automation: {vm['drs']} }}")
    L.append("fault_tolerance: false")
    L.append(f"hot_add: {{ cpu: {'true' if vm['hotadd'] else 'false'}, memory: false }}")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description="vmlint benchmark corpus")
    ap.add_argument("out")
    ap.add_argument("--vms", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    n_hosts = max(1, a.vms // 25)
    hosts = [Host(rng, i) for i in range(n_hosts)]
    os.makedirs(os.path.join(a.out, "hosts"))
    nbytes = 0
    for h in hosts:
        text = h.render()
        nbytes += len(text)
        with open(os.path.join(a.out, "hosts", h.name + ".host.yaml"), "w") as f:
            f.write(text)
    counts = {c: 0 for c in CODES}
    files = {}
    per_file = {}
    for i in range(a.vms):
        host = hosts[i % n_hosts]
        fmt = "vmx" if i % 2 == 0 else "yaml"
        team = f"team-{rng.randrange(max(1, a.vms // 500)):03d}"
        vm = {"name": f"{team}-vm{i:06d}", "team": team}
        plan(rng, vm, host, fmt)
        site = host.name.split("-")[1]
        if fmt == "vmx":
            rel = f"vms/{site}/{team}/{vm['name']}/{vm['name']}.vmx"
            text = render_vmx(rng, vm, host)
        else:
            rel = f"vms/{site}/{team}/{vm['name']}.vm.yaml"
            text = render_yaml(rng, vm, host)
        path = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", newline="") as f:
            f.write(text)
        nbytes += len(text)
        for code, n in oracle(vm, host).items():
            counts[code] += n
            files.setdefault(code, []).append(rel)
            if n > 1:
                per_file.setdefault(code, {})[rel] = n
    doc = {"generator": "bench/gen_corpus.py", "vms": a.vms, "hosts": n_hosts, "seed": a.seed,
           "files": a.vms + n_hosts, "bytes": nbytes, "counts": counts,
           # the shape the Rego peers of the SPEC's benchmark read
           "codes": {c: {"count": counts[c], "files": sorted(files.get(c, [])), "per_file": per_file.get(c, {})}
                     for c in CODES}}
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(f"{a.vms + n_hosts} files, {nbytes / 1e6:.1f} MB; expected " +
          " ".join(f"{c}={n}" for c, n in counts.items() if n))


if __name__ == "__main__":
    main()
