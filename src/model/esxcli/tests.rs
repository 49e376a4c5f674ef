use super::*;

fn host(text: &str) -> (Option<Host>, Vec<Diagnostic>) {
    let mut d = Vec::new();
    let h = read(FileId(0), text, "from-file-name", &mut d);
    (h, d)
}

#[test]
fn every_command_line_form_is_one_command() {
    for line in [
        "[root@esx01:~] esxcli hardware pci list",
        "$ esxcli hardware pci list",
        "# esxcli hardware pci list",
        "esxcli hardware pci list",
        "[root@esx01:~] esxcli --formatter=keyvalue hardware pci list | grep -A3 x",
    ] {
        assert_eq!(
            command_line(line).map(|c| c.0),
            Some("hardware pci list".to_string()),
            "{line}"
        );
    }
    assert_eq!(
        command_line("[root@esx01:~] esxcli x").and_then(|c| c.1),
        Some("esx01")
    );
    assert_eq!(command_line("   Address: 0000:3b:00.0"), None);
    // another command at a prompt ends a section, and is not read
    assert_eq!(
        command_line("[root@esx01:~] ls -l /bootbank").map(|c| c.0),
        Some(String::new())
    );
}

#[test]
fn commands_in_any_order_and_missing_ones_stay_unknown() {
    let text = "$ esxcli hardware pci pcipassthru list\nDevice ID     Enabled\n------------  -------\n0000:3b:00.0  true\n\n$ vmware -vl\nVMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.0 Update 1\n";
    let (h, d) = host(text);
    let h = h.unwrap();
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(h.esxi_version.map(|v| v.value), Version::parse("8.0.1"));
    assert_eq!(h.pci.len(), 1);
    assert_eq!(
        h.pci[0].passthrough.as_ref().map(|p| p.value.as_str()),
        Some("enabled")
    );
    // nothing printed the name: the file's; nor the boot device, coredump or IOMMU
    assert_eq!(h.name.map(|n| n.value), Some("from-file-name".to_string()));
    assert!(h.boot_device.is_none() && h.coredump_transport.is_none() && h.iommu.is_none());
}

#[test]
fn output_saved_without_its_command_line_is_recognised() {
    let text = "0000:04:00.0\n   Address: 0000:04:00.0\n   Vendor ID: 0x10de\n   Device ID: 0x1eb8\n   Device Class: 0x0302\n   Current Owner: VM Passthru\n   Passthru Capable: true\n";
    let (h, _) = host(text);
    let h = h.unwrap();
    assert_eq!(h.pci.len(), 1);
    assert_eq!(
        h.pci[0].class_name.as_ref().map(|c| c.value.as_str()),
        Some("display")
    );
    assert_eq!(h.iommu.map(|i| i.value), Some("enabled".to_string()));
    // text that is no capture at all says so
    let (h, d) = host("hello\nworld\n");
    assert!(h.is_none() && d.len() == 1, "{d:?}");
}

#[test]
fn keyvalue_output_reads_as_the_text_does() {
    let text = "[root@esx-kv:~] esxcli --formatter=keyvalue hardware pci list\n\
PCIDevice.Address.string=0000:00:14.0\nPCIDevice.VendorID.integer=32902\nPCIDevice.DeviceID.integer=41391\n\
PCIDevice.DeviceClass.integer=3075\nPCIDevice.CurrentOwner.string=VMkernel\nPCIDevice.PassthruCapable.boolean=true\n\
PCIDevice.Address.string=0000:3b:00.0\nPCIDevice.VendorID.integer=4318\nPCIDevice.DeviceID.integer=8433\n\
PCIDevice.DeviceClass.integer=770\nPCIDevice.PassthruCapable.boolean=true\n\
[root@esx-kv:~] esxcli --formatter=keyvalue hardware pci pcipassthru list\n\
PCIPassthruDevice.DeviceID.string=0000:3b:00.0\nPCIPassthruDevice.Enabled.boolean=true\n\
[root@esx-kv:~] esxcli --formatter=keyvalue system version get\nVersionGet.Build.string=Releasebuild-22380479\n\
VersionGet.Product.string=VMware ESXi\nVersionGet.Version.string=8.0.2\n";
    let (h, d) = host(text);
    let h = h.unwrap();
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(h.esxi_version.map(|v| v.value), Version::parse("8.0.2"));
    assert_eq!(h.pci.len(), 2);
    let usb = &h.pci[0];
    assert_eq!(usb.vendor_id.as_ref().map(|v| v.value), Some(0x8086));
    assert_eq!(
        usb.class_name.as_ref().map(|c| c.value.as_str()),
        Some("usb")
    );
    let gpu = &h.pci[1];
    assert_eq!(
        gpu.class_name.as_ref().map(|c| c.value.as_str()),
        Some("display")
    );
    assert_eq!(
        gpu.passthrough.as_ref().map(|p| p.value.as_str()),
        Some("enabled")
    );
    // the span of a value is the value's text
    let a = gpu.address.as_ref().unwrap().span;
    assert_eq!(&text[a.range()], "0000:3b:00.0");
}

#[test]
fn the_coredump_lives_on_the_disk_the_partition_is_on() {
    let text = "[root@e:~] esxcli storage core device list\nmpx.vmhba32:C0:T0:L0\n   Is USB: true\n   Is Boot Device: true\n\n[root@e:~] esxcli system coredump partition get\n   Active: mpx.vmhba32:C0:T0:L0:9\n   Configured: mpx.vmhba32:C0:T0:L0:9\n";
    let h = host(text).0.unwrap();
    assert_eq!(
        h.coredump_transport.map(|c| c.value),
        Some("usb".to_string())
    );
    assert_eq!(h.boot_device.map(|b| b.value), Some("usb".to_string()));
    assert_eq!(h.name.map(|n| n.value), Some("e".to_string()));
    // a partition on a disk the capture does not describe: unknown, not guessed
    let h = host("[root@e:~] esxcli system coredump partition get\n   Active: naa.600:7\n")
        .0
        .unwrap();
    assert!(h.coredump_transport.is_none());
}

#[test]
fn a_dependent_device_is_read_as_an_address() {
    let text = "0000:5e:00.0\n   Address: 0000:5e:00.0\n   Vendor ID: 0x8086\n   Device ID: 0x159b\n   Passthru Capable: true\n   Dependent Device: PCI 0:94:0:1\n";
    let (h, _) = host(text);
    let h = h.unwrap();
    assert_eq!(
        h.pci[0].dependent.as_ref().map(|d| d.value),
        PciAddr::parse("0000:5e:00.1")
    );
}

#[test]
fn xml_output_reads_as_the_text_does() {
    let text = "[root@esx-x:~] esxcli --formatter=xml hardware pci list\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<output xmlns=\"http://www.vmware.com/Products/ESX/5.0/esxcli\">\n<root>\n   <list type=\"structure\">\n      <structure typeName=\"Device\">\n         <field name=\"Address\"><string>0000:3b:00.0</string></field>\n         <field name=\"Vendor ID\"><integer>4318</integer></field>\n         <field name=\"Current Owner\"><string>VM Passthru</string></field>\n         <field name=\"Passthru Capable\"><boolean>true</boolean></field>\n      </structure>\n      <structure typeName=\"Device\">\n         <field name=\"Address\"><string>0000:5e:00.0</string></field>\n         <field name=\"Passthru Capable\"><boolean>false</boolean></field>\n      </structure>\n   </list>\n</root>\n</output>\n";
    let (h, d) = host(text);
    assert!(d.is_empty(), "{d:?}");
    let h = h.unwrap();
    assert_eq!(h.pci.len(), 2);
    assert_eq!(h.pci[0].vendor_id.as_ref().map(|v| v.value), Some(0x10de));
    assert_eq!(
        h.pci[0].passthrough.as_ref().map(|p| p.value.as_str()),
        Some("enabled")
    );
    assert_eq!(
        h.pci[1].passthrough.as_ref().map(|p| p.value.as_str()),
        Some("unsupported")
    );
    // the span is the value's, inside its tags
    let a = h.pci[1].address.as_ref().unwrap().span;
    assert_eq!(text.get(a.range()), Some("0000:5e:00.0"));
}
