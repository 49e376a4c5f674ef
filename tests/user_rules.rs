//! Rules written by users from docs/rule-language.md, kept outside rules/.

use crate::util::{HOST, Run, check_with_rules, codes, messages, tree, vmlint_in};

const POLICY: &str = r#"
# Our own policy: production VMs reserve all of their memory, and no two
# production VMs share a host.
rule ACME001 prod-vms-reserve-memory {
  severity error
  summary  "production VMs reserve all of their memory"
  on vm
  when starts_with(vm.name, "prod-")
  assert vm.memory_reservation_all == true or vm.memory_reservation_mb >= vm.memory_mb
  message "{vm.name} reserves {vm.memory_reservation_mb} MB of {vm.memory_mb} MB"
  help "set memory_reservation: all"
}

rule ACME002 one-prod-vm-per-host {
  severity warning
  on vm
  when host != null and starts_with(vm.name, "prod-")
  for other in host.vms where other != vm and starts_with(other.name, "prod-")
  assert false
  at vm.name
  message "{vm.name} shares host {host.name} with {other.name}"
  related other.name "the other production VM"
}
"#;

fn vm(name: &str, reservation: &str) -> String {
    format!(
        "kind: vm\nname: {name}\nhost: esx-01\nhardware_version: 19\nmemory_mb: 8192\n{reservation}"
    )
}

#[test]
fn a_user_rule_and_a_cross_vm_rule_work_from_their_own_folder() {
    let t = tree(&[
        ("policies/acme.rules", POLICY.as_bytes()),
        ("hosts/esx-01.host.yaml", HOST.as_bytes()),
        (
            "vms/prod-db.vm.yaml",
            vm("prod-db", "memory_reservation_mb: 4096\n").as_bytes(),
        ),
        (
            "vms/prod-web.vm.yaml",
            vm("prod-web", "memory_reservation: all\n").as_bytes(),
        ),
        ("vms/dev-web.vm.yaml", vm("dev-web", "").as_bytes()),
    ]);
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            "hosts",
            "vms",
            "--rules",
            "policies",
            "--no-builtin",
            "--format",
            "compact",
        ],
    );
    assert_eq!(
        r.stdout,
        "vms/prod-db.vm.yaml:2:7: warning[ACME002] prod-db shares host esx-01 with prod-web\n\
         vms/prod-db.vm.yaml:6:24: error[ACME001] prod-db reserves 4096 MB of 8192 MB\n\
         vms/prod-web.vm.yaml:2:7: warning[ACME002] prod-web shares host esx-01 with prod-db\n",
        "{}",
        r.stderr
    );
    assert_eq!(r.code, 1);
    // the same rules from the configuration, beside the embedded pack
    std::fs::write(t.path().join(".vmlint.yaml"), "rules: [policies/]\n").unwrap();
    let r = vmlint_in(t.path(), &["check", "hosts", "vms", "--format", "compact"]);
    let c = codes(&r.stdout);
    assert!(
        c.contains(&"ACME001".to_string()) && c.contains(&"ACME002".to_string()),
        "{}",
        r.stdout
    );
}

#[test]
fn a_rule_reading_host_raw_sees_every_host_key() {
    // hosts' raw keys are dropped unless a rule reads them: this one does
    let rule = "rule ACME003 host-owner {\n  on host\n  assert host.raw[\"owner\"] != null\n  at host.name\n  message \"host {host.name} has no owner\"\n}\n";
    let owned = format!("{HOST}owner: team-gpu\n");
    let other = HOST.replace("esx-01", "esx-02");
    let t = tree(&[
        ("a.host.yaml", owned.as_bytes()),
        ("b.host.yaml", other.as_bytes()),
        ("r.rules", rule.as_bytes()),
    ]);
    let r = check_with_rules(t.path(), "r.rules");
    r.assert_codes(&["VL002", "ACME003"]);
    r.assert_says("b.host.yaml:2:7: error[ACME003] host esx-02 has no owner");
}

/// Checks `a.vm.yaml` and `b.vm.yaml`, both on `esx-01`, with the rules of
/// `rule` only.
fn two_vms_on_one_host(a: &str, b: &str, rule: &str) -> Run {
    let t = tree(&[
        ("esx-01.host.yaml", HOST.as_bytes()),
        ("a.vm.yaml", a.as_bytes()),
        ("b.vm.yaml", b.as_bytes()),
        ("r.rules", rule.as_bytes()),
    ]);
    check_with_rules(t.path(), "r.rules")
}

#[test]
fn a_cross_vm_rule_sees_the_fields_it_reads_of_the_other_vms() {
    // VMs kept for cross-VM rules hold only the fields those rules read:
    // this one reads the firmware, power state and snapshots of the others
    let rule = r#"rule ACME004 one-firmware-per-host {
  severity warning
  on vm
  when host != null
  let others = [o in host.vms where o != vm and o.firmware != vm.firmware and o.power_state == vm.power_state and count(o.snapshots) == 0]
  assert count(others) == 0
  at vm.firmware
  message "{others[0].name} on {host.name} boots {others[0].firmware}, this VM {vm.firmware}"
}
"#;
    let vm = |name: &str, firmware: &str| {
        format!(
            "kind: vm\nname: {name}\nhost: esx-01\nfirmware: {firmware}\npower_state: poweredOn\nsnapshots: []\n"
        )
    };
    let (a, b) = (vm("vm-a", "efi"), vm("vm-b", "bios"));
    let r = two_vms_on_one_host(&a, &b, rule);
    r.assert_codes(&["ACME004", "ACME004"]);
    r.assert_says("a.vm.yaml:4:11: warning[ACME004] vm-b on esx-01 boots bios, this VM efi");
    r.assert_says("b.vm.yaml:4:11: warning[ACME004] vm-a on esx-01 boots efi, this VM bios");
}

#[test]
fn a_cross_vm_rule_sees_the_settings_it_reads_of_the_other_vms() {
    // a VM kept for cross-VM rules drops its settings when they read none:
    // this rule reads the memory and the hot add record of the others
    let rule = r#"rule ACME005 bigger-neighbour {
  severity warning
  on vm
  when host != null
  let bigger = [o in host.vms where o != vm and o.memory_mb > vm.memory_mb and o.hot_add.cpu != vm.hot_add.cpu]
  assert count(bigger) == 0
  at vm.name
  message "{bigger[0].name} on {host.name} has {bigger[0].memory_mb} MB"
}
"#;
    let vm = |name: &str, memory: u32, cpu: bool| {
        format!(
            "kind: vm\nname: {name}\nhost: esx-01\nmemory_mb: {memory}\nhot_add: {{ cpu: {cpu} }}\n"
        )
    };
    let (a, b) = (vm("vm-a", 4096, true), vm("vm-b", 8192, false));
    let r = two_vms_on_one_host(&a, &b, rule);
    r.assert_codes(&["ACME005"]);
    r.assert_says("a.vm.yaml:2:7: warning[ACME005] vm-b on esx-01 has 8192 MB");
}

#[test]
fn each_vm_of_a_cross_vm_rule_sees_its_own_hosts_vms_and_their_devices() {
    // the cross-VM pass reuses the lists it built for the VMs before: a VM
    // on another host, or with other devices, must still see its own
    let rule = "rule ACME006 neighbours {\n  on vm\n  when host != null\n  assert false\n  at vm.name\n  message \"{vm.name}: {count(host.vms)} on {host.name}, {sum(o in host.vms, count(o.passthrough))} devices\"\n}\n";
    let vm = |name: &str, host: &str, devices: usize| {
        let mut v = format!("kind: vm\nname: {name}\nhost: {host}\npassthrough:\n");
        for i in 0..devices {
            v.push_str(&format!("  - address: \"0000:{:02x}:00.0\"\n", 0x3b + i));
        }
        if devices == 0 {
            v = v.replace("passthrough:\n", "passthrough: []\n");
        }
        v
    };
    let other = HOST.replace("esx-01", "esx-02");
    let files = [
        ("a.vm.yaml", vm("a", "esx-01", 2)),
        ("b.vm.yaml", vm("b", "esx-02", 0)),
        ("c.vm.yaml", vm("c", "esx-01", 1)),
        ("d.vm.yaml", vm("d", "esx-01", 0)),
    ];
    let mut all: Vec<(&str, &[u8])> = vec![
        ("esx-01.host.yaml", HOST.as_bytes()),
        ("esx-02.host.yaml", other.as_bytes()),
        ("r.rules", rule.as_bytes()),
    ];
    all.extend(files.iter().map(|(n, v)| (*n, v.as_bytes())));
    let t = tree(&all);
    let r = check_with_rules(t.path(), "r.rules");
    assert_eq!(
        messages(&r.stdout),
        [
            "a: 3 on esx-01, 3 devices",
            "b: 1 on esx-02, 0 devices",
            "c: 3 on esx-01, 3 devices",
            "d: 3 on esx-01, 3 devices",
        ],
        "{}{}",
        r.stdout,
        r.stderr
    );
}

/// A host rule that counts the host's VMs sees them, with no cross-VM VM
/// rule in the run to keep them.
#[test]
fn a_host_rule_reads_the_hosts_vms_on_its_own() {
    let rules = r#"
rule ACME003 crowded-host {
  severity warning
  on host
  assert count(host.vms) <= 1
  at host.name
  message "{host.name} runs {count(host.vms)} VMs"
}

rule ACME004 shared-device {
  severity warning
  on host
  for p in host.pci
  assert count(p.vms) <= 1
  at p.address
  message "{p.address} is passed through to {count(p.vms)} VMs"
}
"#;
    let device = "passthrough:\n  - address: \"0000:3b:00.0\"\n";
    let t = tree(&[
        ("policies/hosts.rules", rules.as_bytes()),
        ("hosts/esx-01.host.yaml", HOST.as_bytes()),
        ("vms/a.vm.yaml", vm("a", device).as_bytes()),
        ("vms/b.vm.yaml", vm("b", device).as_bytes()),
    ]);
    let r = check_with_rules(t.path(), "policies");
    assert!(
        r.stdout.contains("warning[ACME003] esx-01 runs 2 VMs"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout
            .contains("warning[ACME004] 0000:3b:00.0 is passed through to 2 VMs"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}
