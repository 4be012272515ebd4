package dev.volumed.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.actors.BatchWorker;
import dev.volumed.actors.CreateWorker;
import dev.volumed.accounting.PoolLevel;
import dev.volumed.actors.InPlaceOutput;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolEvent;
import dev.volumed.model.Level;
import dev.volumed.model.Watermarks;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import dev.volumed.protocol.Codec;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The results of the ops as JSON: what a pool's actors answered, put as wire protocol v1 writes it. */
final class Replies {
  private Replies() {}

  /** The {@code "result"} of a reply. */
  static JsonNode result(Operations.Result result) {
    if (result instanceof Operations.Result.Ready ready) {
      return ready(ready.stats());
    } else if (result instanceof Operations.Result.PoolStats stats) {
      return pools(stats.stats());
    } else if (result instanceof Operations.Result.Made made) {
      return created(made.pool(), made.created());
    } else if (result instanceof Operations.Result.Got got) {
      return Codec.withHolders(volume(got.pool(), got.volume()), got.holders());
    } else if (result instanceof Operations.Result.Listed listed) {
      return volumes(listed.lists());
    } else if (result instanceof Operations.Result.Reclaimed reclaimed) {
      ObjectNode node = Codec.JSON.createObjectNode();
      node.set("volume", volume(reclaimed.pool(), reclaimed.volume()));
      node.put("reclaimedBytes", reclaimed.reclaimedBytes());
      return node;
    }
    return deleted(((Operations.Result.Deleted) result).name());
  }

  /** {@code {"version", "protocol", "unavailable"?}}: the answer to ping. */
  private static JsonNode ready(Map<Operations.Pool, Ledger.StatsReply> stats) {
    ObjectNode result = Codec.JSON.createObjectNode();
    result.put("version", Codec.VERSION);
    result.put("protocol", Codec.PROTOCOL);
    unavailable(result, stats);
    return result;
  }

  /** {@code {"pools": [stats by name], "unavailable"?}}. */
  private static JsonNode pools(Map<Operations.Pool, Ledger.StatsReply> stats) {
    ObjectNode result = Codec.JSON.createObjectNode();
    ArrayNode array = result.putArray("pools");
    stats.values().stream().filter(Ledger.PoolStats.class::isInstance).map(Ledger.PoolStats.class::cast)
        .sorted(Comparator.comparing(Ledger.PoolStats::name))
        .forEach(s -> array.add(pool(s)));
    unavailable(result, stats);
    return result;
  }

  /** A Pool: its books and figures, with its level as the wire writes it. */
  static ObjectNode pool(Ledger.PoolStats stats) {
    ObjectNode pool = Codec.JSON.valueToTree(stats);
    pool.remove("fullness");
    pool.put("level", stats.fullness().level().wireName());
    pool.put("allocatedPercent", stats.fullness().allocatedPercent());
    pool.put("filesystemUsedPercent", stats.fullness().filesystemUsedPercent());
    return pool;
  }

  /** A watch's first event of a pool: {@code "pool"} with its state now and {@code "previous": null}. */
  static ObjectNode initialLevel(JsonNode id, Ledger.PoolStats stats) {
    PoolLevel now = stats.fullness();
    return level(id, stats.name(), now, Optional.empty(), "pool " + stats.name() + " is at " + now.level().wireName()
        + ": file system " + Watermarks.percent(now.filesystemUsedPercent()) + " % used, volumes allocate "
        + Watermarks.percent(now.allocatedPercent()) + " % of usable");
  }

  /** An event as every watcher gets it, with {@code "id": null} (each watcher's id is put in when it is sent). */
  static ObjectNode event(PoolEvent event, Function<String, Path> roots) {
    if (event instanceof PoolEvent.LevelChanged changed) {
      return level(null, changed.pool(), changed.now(), changed.previous(), changed.message());
    }
    PoolEvent.VolumeChanged changed = (PoolEvent.VolumeChanged) event;
    ObjectNode node = Codec.event(null, "volume");
    node.put("action", changed.action().wireName());
    node.put("pool", changed.pool());
    node.set("volume", Codec.volume(changed.pool(), roots.apply(changed.pool()), changed.volume()));
    return node;
  }

  /** {@code {"id", "event": "pool", "pool", "level", "previous", "allocatedPercent", "filesystemUsedPercent", "message"}}. */
  private static ObjectNode level(JsonNode id, String pool, PoolLevel now, Optional<Level> previous, String message) {
    ObjectNode node = Codec.event(id, "pool");
    node.put("pool", pool);
    node.put("level", now.level().wireName());
    if (previous.isPresent()) {
      node.put("previous", previous.get().wireName());
    } else {
      node.putNull("previous");
    }
    node.put("allocatedPercent", now.allocatedPercent());
    node.put("filesystemUsedPercent", now.filesystemUsedPercent());
    node.put("message", message);
    return node;
  }

  /** A made volume, with {@code "existed": true} when it was there already. */
  static ObjectNode created(Operations.Pool pool, CreateWorker.Created created) {
    ObjectNode volume = volume(pool, created.volume());
    if (created.existed()) {
      volume.put("existed", true);
    }
    return volume;
  }

  /** {@code {"volumes": [...], "unavailable"?}}: the pools that refused are named under "unavailable". */
  private static JsonNode volumes(Map<Operations.Pool, Ledger.ListReply> lists) {
    ObjectNode result = Codec.JSON.createObjectNode();
    ArrayNode array = result.putArray("volumes");
    lists.forEach((pool, reply) -> {
      if (reply instanceof Ledger.VolumeList list) {
        list.volumes().forEach(volume -> array.add(volume(pool, volume)));
      }
    });
    unavailable(result, lists);
    return result;
  }

  private static JsonNode deleted(String name) {
    ObjectNode node = Codec.JSON.createObjectNode();
    node.put("deleted", name);
    return node;
  }

  /** {@code {"id", "event": "progress", "name", "outcome", "error"?, "done", "total"}}. */
  static ObjectNode progress(JsonNode id, BatchWorker.Progress progress) {
    ObjectNode event = Codec.event(id, "progress");
    event.put("name", progress.name());
    event.put("outcome", progress.outcome());
    if (progress.error() != null) {
      event.set("error", error(progress.error()));
    }
    event.put("done", progress.done());
    event.put("total", progress.total());
    return event;
  }

  /**
   * {@code {"id", "event": "progress", "name", "step"?, "doneBytes", "totalBytes"}}: how far a change
   * in place has got ({@code step} where it has more than one, as a resize does).
   */
  static ObjectNode progress(JsonNode id, InPlaceOutput.Progress progress) {
    ObjectNode event = Codec.event(id, "progress");
    event.put("name", progress.name());
    if (progress.step() != null) {
      event.put("step", progress.step());
    }
    return event.put("doneBytes", progress.doneBytes()).put("totalBytes", progress.totalBytes());
  }

  /** {@code {"created": [volumes], "failed": [{"name", "error"}], "stats"}}. */
  static JsonNode batch(Operations.Pool pool, BatchWorker.Finished finished) {
    ObjectNode result = Codec.JSON.createObjectNode();
    ArrayNode created = result.putArray("created");
    finished.created().forEach(one -> created.add(created(pool, one)));
    ArrayNode failed = result.putArray("failed");
    for (CreateWorker.Failed one : finished.failed()) {
      ObjectNode entry = failed.addObject();
      entry.put("name", one.name());
      entry.set("error", error(one.error()));
    }
    result.set("stats", Codec.JSON.valueToTree(finished.stats()));
    return result;
  }

  static ObjectNode volume(Operations.Pool pool, Volume volume) {
    return Codec.volume(pool.settings().name(), pool.settings().path(), volume);
  }

  static VolumeException refusal(Ledger.Refused refused) {
    return new VolumeException(refused.code(), refused.message());
  }

  /** {"unavailable": [{"name", "path", "error"}]} for the pools whose ledger refused: they cannot use their books now. */
  private static void unavailable(ObjectNode result, Map<Operations.Pool, ?> replies) {
    replies.forEach((pool, reply) -> {
      if (reply instanceof Ledger.Refused refused) {
        ArrayNode array = result.has("unavailable") ? (ArrayNode) result.get("unavailable") : result.putArray("unavailable");
        ObjectNode entry = array.addObject();
        entry.put("name", pool.settings().name());
        entry.put("path", pool.settings().path().toString());
        entry.set("error", error(refusal(refused)));
      }
    });
  }

  private static ObjectNode error(VolumeException error) {
    return (ObjectNode) Codec.error(null, error).get("error");
  }
}
