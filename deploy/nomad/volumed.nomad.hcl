# volumed as Nomad's CSI plugin on every client: a monolith (controller and node in one), since
# each node makes, stages and deletes the volumes of its own pools.
#   nomad job run deploy/nomad/volumed.nomad.hcl
#   nomad plugin status volumed
# The clients' Docker plugin must allow privileged tasks and host bind mounts:
#   plugin "docker" { config { allow_privileged = true  volumes { enabled = true } } }
# and, for volumed's drain on a stop, a client { max_kill_timeout = "90s" }.
# The image is packaging/container/Containerfile, built and pushed by the operator.
job "volumed" {
  type        = "system"
  datacenters = ["*"]

  group "volumed" {
    task "plugin" {
      driver = "docker"

      config {
        image      = "volumed:0.1.0"
        args       = ["--config", "/local/volumed.conf"]
        # Loop devices, mount(2) and mkfs on them need CAP_SYS_ADMIN and the host's devices.
        privileged = true

        # The pools, at the same path as on the host (loop devices name their backing file by it).
        mount {
          type   = "bind"
          source = "/var/lib/volumed"
          target = "/var/lib/volumed"
          bind_options {
            propagation = "rslave"
          }
        }
        # The host's devices: loop devices made after the task started appear here.
        mount {
          type   = "bind"
          source = "/dev"
          target = "/dev"
        }
        # volumed.sock for volumectl and the microVM runner on the host.
        mount {
          type   = "bind"
          source = "/run/volumed"
          target = "/run/volumed"
        }
      }

      # Nomad mounts its plugin folder at mount_dir and talks to mount_dir/csi.sock: the endpoint
      # below. Staging and publish paths come under stage_publish_base_dir, mounted by Nomad with
      # bidirectional propagation so that volumed's mounts reach the tasks that use them.
      csi_plugin {
        id                     = "volumed"
        type                   = "monolith"
        mount_dir              = "/csi"
        stage_publish_base_dir = "/local/csi"
        # Probe answers ready once every pool's books are loaded (up to minutes for a large pool).
        health_timeout         = "5m"
      }

      env {
        # The Nomad node's name: volumed's CSI node id and its "csi.volumed.dev/host" topology value.
        NODE_NAME = "${node.unique.name}"
      }

      # The same volumed.conf as Kubernetes' ConfigMap but for the endpoint. "$${" is HCL's escape
      # for a literal "${": volumed (HOCON) substitutes NODE_NAME, not Nomad.
      template {
        destination = "local/volumed.conf"
        change_mode = "restart"
        data        = <<EOH
volumed {
  socket {
    path = "/run/volumed/volumed.sock"
    mode = "0660"
  }
  pools {
    default {
      path = "/var/lib/volumed/pools/default"
    }
  }
  csi {
    endpoint = "unix:///csi/csi.sock"
    driver-name = "csi.volumed.dev"
    node-id = $${?NODE_NAME}
    state-dir = "/var/lib/volumed/csi"
  }
}
EOH
      }

      # volumed's shutdown grace (30 s) and the roll-back of unfinished images. A client caps it at
      # its max_kill_timeout (30s unless the client's configuration raises it).
      kill_timeout = "90s"

      resources {
        cpu    = 500
        memory = 768
      }
    }
  }
}
