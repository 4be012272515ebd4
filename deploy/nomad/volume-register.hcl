# A volume made on its host by volumectl, made known to Nomad: what works on a cluster of many
# clients, since only NodeStageVolume and NodePublishVolume are then called, on the node named here.
#   volumectl create vm-disk-1 --size 1G --fs ext4 --allocation fallocate   (on node-1)
#   nomad volume register deploy/nomad/volume-register.hcl
# Deleting: nomad volume deregister vm-disk-1, then volumectl delete vm-disk-1 on node-1.
id          = "vm-disk-1"
name        = "vm-disk-1"
type        = "csi"
plugin_id   = "volumed"
# volumed's CSI volume id: "<pool>/<volume name>".
external_id = "default/vm-disk-1"

capability {
  access_mode     = "single-node-writer"
  attachment_mode = "file-system"
}

mount_options {
  fs_type = "ext4"
}

# Where the volume is: only this node's volumed can stage it.
topology_request {
  required {
    topology {
      segments {
        "csi.volumed.dev/host" = "node-1"
      }
    }
  }
}
