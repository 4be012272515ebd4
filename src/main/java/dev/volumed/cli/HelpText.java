package dev.volumed.cli;

/** The longer help of batch and import-microvm, printed after their options. */
final class HelpText {
  static final String BATCH = """

      FILE is a JSON array of volumes, each with the arguments of create but no pool,
      or - to read it from stdin:
        [{"name": "vm1/var.img", "size": "8G", "fs": "ext4", "label": "var"},
         {"name": "vm1/swap.img", "size": "1G", "fs": "swap", "allocation": "fallocate"}]
      Fields: name, size, fs, label, mkfsArgs (array of strings), allocation.

      By default the batch is atomic: volumed admits it whole or refuses it whole, and if
      one volume fails, every volume it made is removed again. With --no-atomic each volume
      is admitted on its own, in list order, and what could be made stays.
      Volumes that already exist with the same size, fs, label and allocation count as
      existed, so running the same batch again is safe.

      Progress goes to stderr: a live bar on a terminal, else one line per volume
      ([12/200] vm3/root.img created). Then a table of every volume and a total go to
      stdout; with --json, volumed's reply instead.

      exit codes: 0 every volume created or existed; 1 volumed refused the batch or a
      volume failed (an atomic batch is then rolled back: nothing stays); 2 usage error,
      or FILE missing or not a JSON array; 3 cannot reach volumed.
      """;

  static final String IMPORT_MICROVM = """

      FILE is the JSON that nix prints for a microvm.nix guest's volumes (- for stdin):
        nix eval --json .#nixosConfigurations.HOST.config.microvm.volumes > volumes.json
      Only the volumes with autoCreate = true are made, as one batch (atomic unless
      --no-atomic), with the progress, table and exit codes of 'volumectl batch'.

      microvm.nix          volumed
        image              name: PREFIX + the image's file name. volumed names are relative
                           to the pool, so the directory part is dropped:
                           /var/lib/microvms/vm1/var.img with --prefix vm1/ is vm1/var.img
        size (MiB)         size "<size>M"
        fsType             fs (default ext4, as in microvm.nix); one volumed does not know
                           is sent as is, and volumed refuses the batch naming it
        label              label (null: none)
        mkfsExtraArgs      mkfsArgs
        autoCreate         false: skipped, and said so on stderr
        (always)           allocation "sparse", what microvm.nix's truncate does
      Ignored: mountPoint, serial, direct, readOnly, imageType (the image is always raw).

      Run it again after a change: volumes that are there already count as existed; one
      whose size, fs or label changed is refused with ALREADY_EXISTS (volumed never
      reformats).
      """;

  private HelpText() {}
}
