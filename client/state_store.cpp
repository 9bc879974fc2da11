#include "client/state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "mls/crypto/rng.h"
#include "mls/crypto/secret.h"

namespace conclave::client {

namespace fs = std::filesystem;

namespace {

// FdCloser owns a file descriptor for the duration of one function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // close reports the close() result: on some file systems write errors surface only here.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

bool write_all(int fd, mls::ByteView data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool sync_dir(const fs::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  return ::fsync(fd.get()) == 0;
}

std::string random_suffix() {
  std::uint8_t b[8];
  mls::system_rng().fill(b);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t v : b) {
    s.push_back(kHex[v >> 4]);
    s.push_back(kHex[v & 15]);
  }
  return s;
}

}  // namespace

Status ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::state_io);
  if (::chmod(dir.c_str(), 0700) != 0) return fail(Errc::state_io);
  return {};
}

Status write_file_atomic(const fs::path& path, mls::ByteView data) {
  const fs::path dir = path.parent_path();
  // The temporary name starts with '.' and ends in ".tmp" so directory scans skip it.
  const fs::path tmp = dir / ("." + path.filename().string() + "." + random_suffix() + ".tmp");
  // O_EXCL: never follow or reuse something already there; 0600 from the first byte, so the
  // secret is never readable by others even briefly (umask can only remove bits).
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return fail(Errc::state_io);
  const bool ok = ::fchmod(fd.get(), 0600) == 0 && write_all(fd.get(), data) &&
                  ::fsync(fd.get()) == 0 && fd.close();
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(Errc::state_io);
  }
  // The rename is durable only once the directory entry is.
  if (!sync_dir(dir)) return fail(Errc::state_io);
  return {};
}

Result<std::optional<mls::Bytes>> read_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<mls::Bytes>{};
    return fail(Errc::state_io);
  }
  mls::Bytes out;
  // Reserve once: the content may hold private keys, and growth would leave unwiped copies.
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0)
    out.reserve(static_cast<std::size_t>(st.st_size));
  std::uint8_t buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::state_io);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  mls::secure_wipe(buf, sizeof buf);
  return std::optional<mls::Bytes>(std::move(out));
}

Status remove_file(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail(Errc::state_io);
  if (!sync_dir(path.parent_path())) return fail(Errc::state_io);
  return {};
}

}  // namespace conclave::client
