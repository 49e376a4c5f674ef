data "vsphere_host" "gpu" {
  name          = "esx-fix-01"
  datacenter_id = "datacenter-3"
}

resource "vsphere_virtual_machine" "train" {
  name             = "fix-pt015-tf"
  host_system_id   = data.vsphere_host.gpu.id
  memory           = 65536
  memory_reservation_locked_to_max = true
  cpu_hot_add_enabled = true
  firmware         = "efi"
  hardware_version = 20
  pci_device_id    = ["0000:3b:00.0"]

  extra_config = {
    "pciPassthru.use64bitMMIO"    = "TRUE"
    "pciPassthru.64bitMMIOSizeGB" = "128"
  }
}
