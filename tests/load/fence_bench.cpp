// conclave-fence-bench: what the lease fence costs a commit (docs/cluster.md §3,
// docs/benchmarks.md "Failover"). Not a test: timings are reported, never asserted.
//
//   conclave-fence-bench [--db CONNINFO] [--commits 2000] [--members 100]
//
// CONNINFO defaults to $CONCLAVE_TEST_PG (tests/harness/with-servers.sh sets it). The tool makes
// a scratch database, applies the schema, creates one room with a group of --members leaves and
// then accepts --commits commits in it through db::PgMlsStore, alternating between a commit
// without a fence (one instance, today's path) and one under a held shard lease (several
// instances: the fence check first in the transaction). Each commit rewrites the committer's
// direct path (log2(leaves) + 1 nodes) and appends its archive row, as the delivery service's
// commits do. Alternating in one run keeps the machine's noise common to both; the answer is the
// ratio of the medians (and of the 99th percentiles).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "component/store/lease_store.h"
#include "component/store/mls_store.h"
#include "component/store/room_store.h"
#include "db/connection_pool.h"
#include "db/migrations.h"
#include "db/pg_lease_store.h"
#include "db/pg_mls_store.h"
#include "db/pg_room_store.h"

namespace {

using namespace conclave;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(i, xs.size() - 1)];
}

int usage() {
  std::fprintf(stderr, "usage: conclave-fence-bench [--db CONNINFO] [--commits N] [--members N]\n");
  return 2;
}

int fail(const std::string& what, std::error_code e) {
  std::fprintf(stderr, "conclave-fence-bench: %s: %s\n", what.c_str(), e.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("CONCLAVE_TEST_PG");
  std::string base = env != nullptr ? env : "";
  int commits = 2000;
  std::uint32_t members = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--db") == 0) {
      base = argv[i + 1];
    } else if (std::strcmp(argv[i], "--commits") == 0) {
      commits = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--members") == 0) {
      members = static_cast<std::uint32_t>(std::atoi(argv[i + 1]));
    } else {
      return usage();
    }
  }
  if (base.empty() || commits < 2 || members < 2 || argc % 2 == 0) return usage();

  const std::string name = "fence_bench_" + std::to_string(::getpid());
  {
    pqxx::connection admin(base);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name);
    tx.exec("CREATE DATABASE " + name);
  }
  // The scratch database: the same server and credentials, another dbname (a URI's query
  // parameter overrides its path).
  const std::string conninfo =
      base + (base.find('?') == std::string::npos ? "?" : "&") + "dbname=" + name;
  int rc = 0;
  {
    auto migrations = db::embedded_migrations();
    if (!migrations) return fail("schema", migrations.error());
    if (auto m = db::migrate(conninfo, *migrations); !m) return fail("migrate", m.error());
    db::ConnectionPool pool(db::PoolOptions{conninfo, 2});
    db::PgRoomStore rooms(pool);
    db::PgMlsStore store(pool);
    db::PgLeaseStore leases(pool);

    const auto room = component::RoomJid::parse("bench@mls.localhost").value();
    component::RoomRecord rec;
    rec.jid = room;
    rec.persistent = true;
    if (auto s = rooms.create(rec); !s) return fail("room", s.error());
    std::uint32_t leaves = 1;
    while (leaves < members) leaves *= 2;
    component::MlsGroupRecord g;
    g.room = room;
    g.group_id = component::Blob(16, 7);
    g.cipher_suite = 1;
    g.tree_hash = component::Blob(32, 1);
    g.group_info = component::Blob(600, 2);
    g.group_context = component::Blob(120, 3);
    g.interim_transcript_hash = component::Blob(32, 4);
    g.chain_hash = component::Blob(32, 0);
    g.leaf_count = leaves;
    for (std::uint32_t i = 0; i < 2 * members - 1; ++i) {
      g.nodes.push_back({i, component::Blob(i % 2 == 0 ? 200 : 80, static_cast<std::uint8_t>(i))});
    }
    if (auto s = store.create_group(g); !s) return fail("group", s.error());
    const std::uint32_t shard = component::shard_of(room.str(), 1);
    if (auto s = leases.ensure_shards(1); !s) return fail("shards", s.error());
    auto held = leases.acquire("bench#1", {shard}, std::chrono::hours(1));
    if (!held || held->size() != 1) return fail("lease", held ? std::error_code() : held.error());
    const component::Fence fence{"bench#1", held->front()};

    std::vector<double> plain, fenced;
    component::Blob chain = g.chain_hash;
    for (int i = 0; i < commits; ++i) {
      component::MlsCommitRecord c;
      c.commit_hash = component::Blob(32, static_cast<std::uint8_t>(i));
      c.commit_hash[1] = static_cast<std::uint8_t>(i >> 8);
      c.commit_hash[2] = static_cast<std::uint8_t>(i >> 16);
      c.mls_message = component::Blob(1500, 5);
      c.group_info = component::Blob(600, 6);
      c.sender_jid = "alice@localhost";
      c.tree_hash = component::Blob(32, 8);
      c.group_context = component::Blob(120, 9);
      c.interim_transcript_hash = component::Blob(32, 10);
      c.prev_chain_hash = chain;
      c.chain_hash = c.commit_hash;  // any value: the store keeps what it is given
      auto& a = c.archived.emplace();
      a.room = room;
      a.stanza_id = "s" + std::to_string(i);
      a.ts = component::TimePoint(std::chrono::seconds(1'700'000'000 + i));
      a.from_jid = "alice@localhost";
      a.stanza = std::string(2100, 'x');
      const bool with_fence = i % 2 == 1;
      if (with_fence) c.fence = fence;
      // Leaf 0's direct path: the leaf and its ancestors (RFC 9420 Appendix C).
      std::vector<component::MlsNodeChange> path{{0, component::Blob(200, 11)}};
      for (std::uint32_t n = 1; n <= leaves - 1; n = 2 * n + 1) {
        path.push_back({n, component::Blob(80, 12)});
      }
      const auto t0 = Clock::now();
      auto r = store.accept_commit(room, component::Epoch(static_cast<std::uint64_t>(i)), c, path,
                                   leaves);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!r || r->outcome != component::CommitOutcome::accepted) {
        rc = fail("commit " + std::to_string(i), r ? std::error_code() : r.error());
        break;
      }
      chain = c.chain_hash;
      (with_fence ? fenced : plain).push_back(ms);
    }
    if (rc == 0) {
      const double p50p = percentile(plain, 0.5), p50f = percentile(fenced, 0.5);
      const double p99p = percentile(plain, 0.99), p99f = percentile(fenced, 0.99);
      std::printf("members=%u commits=%d (alternating)\n", members, commits);
      std::printf("no fence   n=%zu p50=%.3f ms p99=%.3f ms\n", plain.size(), p50p, p99p);
      std::printf("with fence n=%zu p50=%.3f ms p99=%.3f ms\n", fenced.size(), p50f, p99f);
      std::printf("ratio p50=%.3f p99=%.3f\n", p50f / p50p, p99f / p99p);
    }
  }
  pqxx::connection admin(base);
  pqxx::nontransaction tx(admin);
  tx.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  return rc;
}
