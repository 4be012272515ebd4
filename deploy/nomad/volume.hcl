# A 1 GiB ext4 volume on the client named "node-1":
#   nomad volume create deploy/nomad/volume.hcl
# Nomad sends CreateVolume (and DeleteVolume, and an expand) to one controller it picks among the
# clients running the plugin, not to the node of topology_request, and volumed makes volumes only
# in its own pools. So this works on a cluster of one client; on more, make the volume on its host
# with volumectl and register it instead (volume-register.hcl).
# A job then claims it with  volume "data" { type = "csi"  source = "vm-disk-1"
# access_mode = "single-node-writer"  attachment_mode = "file-system" }.
id        = "vm-disk-1"
name      = "vm-disk-1"
type      = "csi"
plugin_id = "volumed"

# Rounded up to 4096 bytes by volumed.
capacity_min = "1GiB"
capacity_max = "1GiB"

# One node at a time, read-write: volumed's volumes are files on one host.
capability {
  access_mode     = "single-node-writer"
  attachment_mode = "file-system"
}

# The file system NodeStageVolume mounts: the same as the fs parameter.
mount_options {
  fs_type = "ext4"
}

# Which client's volumed makes it: the key is "<driver name>/host", the value the node id
# (the Nomad node's name, NODE_NAME in the plugin job).
topology_request {
  required {
    topology {
      segments {
        "csi.volumed.dev/host" = "node-1"
      }
    }
  }
}

# As the Kubernetes StorageClass's: the pool, the file system volumed makes, the allocation.
parameters {
  pool       = "default"
  fs         = "ext4"
  allocation = "sparse"
}
