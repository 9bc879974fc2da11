// conclave: the component executable. The only file that names concrete types (docs/style.md
// P2): the XEP-0114 connection, the PostgreSQL stores and the database executor.
//
//   conclave [run] --config FILE     serve (applies pending migrations first)
//   conclave migrate --config FILE   apply the schema migrations and exit
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "component/admin/admin_commands.h"
#include "component/app/cluster_runtime.h"
#include "component/app/config.h"
#include "component/app/executor_runner.h"
#include "component/app/xmpp_link.h"
#include "component/core/log.h"
#include "component/core/services.h"
#include "component/ds/delivery_service.h"
#include "component/federation/federation_service.h"
#include "component/muc/muc_service.h"
#include "component/rooms/occupant_id.h"
#include "db/database.h"
#include "db/migrations.h"
#include "db/pg_archive_store.h"
#include "db/pg_consensus_store.h"
#include "db/pg_handoff_store.h"
#include "db/pg_lease_store.h"
#include "db/pg_mls_store.h"
#include "db/pg_room_store.h"
#include "xmpp/component_connection.h"

namespace conclave::component {
namespace {

// cluster_holder_id: this process's name in the lease rows: the configured instance name (or
// the host name), the process id and a random part, so that a restarted instance never takes
// its predecessor's lease for its own (docs/sequencing.md §A.3).
std::string cluster_holder_id(const std::string& instance) {
  std::string name = instance;
  if (name.empty()) {
    char host[256] = {};
    name = ::gethostname(host, sizeof host - 1) == 0 ? host : "conclave";
  }
  return name + "#" + std::to_string(::getpid()) + "#" + random_token(4);
}

int usage() {
  std::cerr << "usage: conclave [run] --config FILE\n"
               "       conclave migrate --config FILE\n";
  return 2;
}

bool apply_migrations(const Config& config, Logger& logger) {
  auto migrations = db::default_migrations();
  if (!migrations) {
    logger.log(LogLevel::error, "loading migrations: " + migrations.error().message());
    return false;
  }
  auto report = db::migrate(config.database_url, *migrations,
                            [&](std::string_view line) { logger.log(LogLevel::info, line); });
  if (!report) {
    logger.log(LogLevel::error, "migrating the database: " + report.error().message());
    return false;
  }
  logger.log(LogLevel::info, "database schema at version " +
                                 std::to_string(report->current_version) + " (" +
                                 std::to_string(report->applied.size()) + " applied)");
  return true;
}

// cluster_hooks: what becoming active or standby means for this process (docs/cluster.md §2).
ClusterRuntime::Hooks cluster_hooks(MucService& service, ds::DeliveryService& delivery,
                                    XmppLink& link, BlockingRunner& runner, Logger& logger) {
  ClusterRuntime::Hooks hooks;
  hooks.become_active = [&](std::function<void()> done) {
    // Nothing cached from an earlier active period may survive (a store call that finished
    // after the last demotion can have cached a group): start from the store.
    service.forget_all();
    delivery.forget_all();
    // Whatever the previous active instance left: persistent rooms, temporary ones to purge.
    MucService* muc = &service;
    run_blocking<Result<std::size_t>>(
        runner, [muc] { return muc->load(); },
        [&logger, &link, done](Result<std::size_t> loaded) {
          if (!loaded) {
            logger.log(LogLevel::error, "loading rooms: " + loaded.error().message());
          } else {
            logger.log(LogLevel::info, "loaded " + std::to_string(*loaded) + " persistent rooms");
          }
          link.connect();
          done();
        });
  };
  hooks.become_standby = [&] {
    link.disconnect();
    service.forget_all();
    delivery.forget_all();
  };
  hooks.stop_serving = [&] {
    service.forget_all();
    delivery.forget_all();
  };
  hooks.dispatch = [&](xmpp::Element s) { service.dispatch(std::move(s)); };
  return hooks;
}

int serve(const Config& config, Logger& logger) {
  if (!apply_migrations(config, logger)) return 1;
  db::PoolOptions pool_options;
  pool_options.conninfo = config.database_url;
  pool_options.size = config.database_pool;
  pool_options.log = [&](std::string_view line) { logger.log(LogLevel::warn, line); };
  if (config.cluster.enabled) {
    // A transaction left open by a cut-off instance must not keep the lease rows locked past
    // the lease (docs/cluster.md §3): the server ends it after half a lease.
    pool_options.idle_in_transaction_timeout = config.cluster.leases.length / 2;
  }
  db::Database database(std::move(pool_options));
  db::PgRoomStore room_store(database.pool());
  db::PgArchiveStore archive_store(database.pool());
  db::PgMlsStore mls_store(database.pool());
  db::PgLeaseStore lease_store(database.pool());
  db::PgHandoffStore handoff_store(database.pool());
  db::PgConsensusStore consensus_store(database.pool());

  boost::asio::io_context io;
  ExecutorRunner runner(database.executor(), io);
  ConnectionSender sender;

  // The MLS delivery service (docs/protocol.md); its external-sender key lives in the store.
  auto identity = ds::ServiceIdentity::load_or_create(mls_store, config.domain);
  if (!identity) {
    logger.log(LogLevel::error, "loading the external-sender key: " + identity.error().message());
    return 1;
  }
  // The one set of services (sender, runner, clock, ids, log) every part uses.
  Services services;
  services.out = &sender;
  services.runner = &runner;
  services.now = [] { return std::chrono::system_clock::now(); };
  services.new_id = [] { return random_token(12); };
  services.log = [&](LogLevel level, const std::string& line) { logger.log(level, line); };

  ds::DsEnv ds_env;
  ds_env.services = &services;
  ds_env.domain = config.domain;
  ds_env.store = &mls_store;
  ds_env.archive = &archive_store;
  // With several instances, commits are stored under this instance's lease (docs/cluster.md).
  // Made below, once the services it drives exist; the delivery service asks it at run time.
  std::unique_ptr<ClusterRuntime> cluster;
  if (config.cluster.enabled) {
    ds_env.fence_for = [&cluster](const RoomJid& room) -> std::optional<Fence> {
      return cluster ? cluster->fence_for(room.str()) : std::nullopt;
    };
    ds_env.on_fenced = [&cluster] {
      if (cluster) cluster->check_now();
    };
  }
  // Fault injection for the fault suite only (docs/cluster.md §6): die, as kill -9 would, right
  // after the N-th commit this process stores and before anything about it is sent.
  if (const char* n = std::getenv("CONCLAVE_FAULT_EXIT_AFTER_COMMITS"); n != nullptr && *n) {
    const long limit = std::strtol(n, nullptr, 10);
    ds_env.after_accept = [&logger, limit, count = 0L]() mutable {
      if (++count < limit) return;
      logger.log(LogLevel::warn, "fault injection: exiting after stored commit " +
                                     std::to_string(count) + ", before its sends");
      std::_Exit(137);
    };
  }
  ds::DeliveryService delivery(config.mls, std::move(ds_env), std::move(*identity));

  RoomEnv env;
  env.services = &services;
  env.rooms = &room_store;
  env.archive = &archive_store;
  env.extensions = {&delivery};  // the MLS delivery service hooks into every room
  env.new_salt = [] { return random_token(16); };
  env.service_admins = config.admins;
  env.max_history = config.max_history;
  env.max_occupants = config.max_occupants;
  env.mam_max_page = config.mam_max_page;
  env.voice_request_interval = config.voice_request_interval;
  env.fmuc_probe_interval = config.federation_link_probe;
  env.schedule = [&io](std::chrono::milliseconds delay, std::function<void()> task) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io, delay);
    timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
      if (!ec) task();
    });
  };
  env.may_create = [&config](const xmpp::Jid& user) {
    return may_create_room(config, user.domain());
  };
  MucService service({config.domain, config.name}, std::move(env));
  delivery.attach_rooms(
      [&service](const RoomJid& room) -> GroupHost* { return service.find_room(room).get(); });

  // Federation (docs/federation.md): this deployment's part in its federated room's commit
  // agreement, when [federation] names one. It sees stanzas before the room service does.
  std::unique_ptr<federation::FederationService> federation;
  if (!config.federation_home.empty()) {
    federation::FederationConfig fc{
        config.federation_home,
        {config.federation_mirrors.begin(), config.federation_mirrors.end()},
        federation_self(config)};
    federation = std::make_unique<federation::FederationService>(
        fc, [&sender](xmpp::Element s) { sender.send(std::move(s)); },
        [&logger](const std::string& line) { logger.log(LogLevel::info, line); },
        std::random_device{}(), &consensus_store);
    logger.log(LogLevel::info, "federation: " + fc.self + " in a mirror set of " +
                                   std::to_string(fc.mirrors.size()) + ", home " + fc.home);
  }

  xmpp::ComponentConfig cc;
  cc.host = config.server_host;
  cc.port = config.server_port;
  cc.domain = config.domain;
  cc.secret = config.secret;
  cc.max_queued = config.max_queued;
  cc.limits.max_stanza_bytes = config.max_stanza_bytes;

  XmppLink::Hooks link_hooks;
  link_hooks.stanza = [&](xmpp::Element s) {
    // Received by an instance that is not (or no longer) the active one: the active one
    // handles it (docs/cluster.md §4).
    if (cluster && !cluster->serving()) {
      cluster->hand_off(s);
      return;
    }
    if (federation && federation->on_stanza(s)) return;
    service.dispatch(std::move(s));
  };
  link_hooks.online = [&] {
    delivery.deliver_welcomes();  // what an outage or a crash left in the outboxes
    delivery.deliver_fanouts();
    logger.log(LogLevel::info, "connected to " + config.server_host + ":" +
                                   std::to_string(config.server_port) + " as " + config.domain);
  };
  link_hooks.log = services.log;
  if (config.cluster.enabled) link_hooks.may_reconnect = [&] { return cluster->serving(); };
  XmppLink link(io, cc, sender, std::move(link_hooks));

  if (config.cluster.enabled) {
    ClusterRuntime::Hooks hooks = cluster_hooks(service, delivery, link, runner, logger);
    const std::string holder = cluster_holder_id(config.cluster.instance);
    logger.log(LogLevel::info, "cluster: this instance is " + holder + "; standing by");
    cluster =
        std::make_unique<ClusterRuntime>(io, config.cluster, holder, config.database_url,
                                         lease_store, handoff_store, services, std::move(hooks));
  } else {
    auto loaded = service.load();  // before the I/O loop starts: nothing waits on it yet
    if (!loaded) {
      logger.log(LogLevel::error, "loading rooms: " + loaded.error().message());
      return 1;
    }
    logger.log(LogLevel::info, "loaded " + std::to_string(*loaded) + " persistent rooms");
  }

  register_admin_commands(service.commands(), service, &delivery,
                          cluster ? &cluster->keeper() : nullptr, federation.get());

  // The federation's clock: one tick every federation.tick_ms.
  boost::asio::steady_timer federation_timer(io);
  std::function<void()> federation_tick = [&] {
    federation_timer.expires_after(config.federation_tick);
    federation_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      federation->tick();
      federation_tick();
    });
  };
  if (federation) federation_tick();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer grace(io);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    logger.log(LogLevel::info, std::string("signal ") + std::to_string(sig) + ": shutting down");
    // Occupants learn first (status 332); with several instances the leases are given up at
    // the same moment, so a standby takes over while those stanzas are still being written,
    // and whatever reaches this instance until its stream closes is handed to the standby
    // (docs/cluster.md §2). Then the stream closes, then the loop ends, each step after a
    // short grace period for its stanzas to be written. The executor finishes queued store
    // work (the lease release among it) before the stores go (ExecutorRunner::wait_idle).
    service.shutdown();
    federation_timer.cancel();
    if (cluster) cluster->shutdown([] {});
    grace.expires_after(std::chrono::milliseconds(300));
    grace.async_wait([&](const boost::system::error_code&) {
      link.disconnect();
      grace.expires_after(std::chrono::milliseconds(300));
      grace.async_wait([&](const boost::system::error_code&) { io.stop(); });
    });
  });
  if (cluster) {
    cluster->start();
  } else {
    link.connect();
  }
  io.run();
  sender.connection = nullptr;
  if (!runner.wait_idle(std::chrono::seconds(10))) {
    logger.log(LogLevel::error, "database work still running after 10 s; exiting anyway");
    std::_Exit(1);  // destroying the stores under running work would be worse
  }
  logger.log(LogLevel::info, "stopped");
  return 0;
}

int main_impl(int argc, char** argv) {
  std::string command = "run";
  std::string config_path;
  int i = 1;
  if (i < argc && argv[i][0] != '-') command = argv[i++];
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      return usage();
    }
  }
  if (config_path.empty() || (command != "run" && command != "migrate")) return usage();
  auto config = load_config(config_path);
  if (!config) {
    std::cerr << "conclave: " << config.error().what() << "\n";
    return 2;
  }
  Logger logger(config->log_level);
  if (command == "migrate") return apply_migrations(*config, logger) ? 0 : 1;
  return serve(*config, logger);
}

}  // namespace
}  // namespace conclave::component

int main(int argc, char** argv) {
  // Start-up failures are exceptions at most here (docs/style.md P6); report and exit.
  try {
    return conclave::component::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "conclave: fatal: " << e.what() << "\n";
    return 1;
  }
}
