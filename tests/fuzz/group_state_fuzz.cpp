// libFuzzer target for restoring a persisted member state (Group::restore,
// KeyPackageBundle::restore; mls/group/group_state.h). A stored state is read back from disk or
// a database and may be truncated or corrupted: restore must refuse it with an error, never
// crash.
//
// Input byte 0 chooses the mode:
//   even: the rest is restored as is (both kinds of state);
//   odd:  the rest is a list of edits (uint16 offset, uint8 xor) and a final uint16 length
//         applied to a real state built at start-up, whose checksum is then recomputed, so the
//         fuzzer reaches the field checks behind the checksum.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "mls/group/group.h"
#include "mls/group/group_state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace m = conclave::mls;

// FixedRng: deterministic randomness so every run starts from the same state.
class FixedRng : public m::Rng {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<std::uint8_t>(state_ >> 56);
    }
  }

 private:
  std::uint64_t state_ = 42;
};

m::KeyPackageBundle member(const m::CipherSuite& suite, const std::string& name, m::Rng& rng) {
  m::KeyPair sig = suite.generate_signature_key_pair();
  m::Credential cred;
  cred.value = m::BasicCredential{m::Bytes(name.begin(), name.end())};
  auto kp = m::make_key_package(suite, cred, std::move(sig.private_key), rng);
  if (!kp) std::abort();
  return std::move(*kp);
}

struct Seeds {
  m::Bytes group_state;
  m::Bytes bundle_state;
};

// seeds: a two-member group with traffic (held out-of-order keys, a cached proposal) and a
// KeyPackageBundle.
const Seeds& seeds() {
  static const Seeds s = [] {
    const m::CipherSuite& suite =
        **m::CipherSuite::get(m::CipherSuiteId::mls_128_dhkemx25519_aes128gcm_sha256_ed25519);
    static FixedRng rng;
    m::GroupOptions opts;
    opts.rng = &rng;
    auto a = member(suite, "alice", rng);
    auto b = member(suite, "bob", rng);
    auto alice = m::Group::create(suite, m::Bytes{1, 2, 3}, a, {}, opts);
    if (!alice) std::abort();
    m::CommitOptions co;
    co.proposals.push_back(m::Proposal{m::Add{b.key_package}});
    auto out = alice->commit(std::move(co));
    if (!out) std::abort();
    auto bob = m::Group::join(suite, *out->welcome, b.key_package, b.clone().secrets, std::nullopt,
                              {}, opts);
    if (!bob) std::abort();
    m::Group a1 = std::move(out->staged).merge();
    auto m0 = bob->protect(m::Bytes{'x'});
    auto m1 = bob->protect(m::Bytes{'y'});
    if (!m0 || !m1 || !a1.unprotect_application(*m1)) std::abort();
    auto upd = bob->propose_update();
    if (!upd || !a1.handle_proposal(*upd)) std::abort();
    return Seeds{a1.serialize().value(), member(suite, "carol", rng).serialize().value()};
  }();
  return s;
}

void restore_both(m::ByteView state) {
  const auto g = m::Group::restore(state);
  if (!g && !g.error()) std::abort();  // a failure must carry a real error
  const auto kp = m::KeyPackageBundle::restore(state);
  if (!kp && !kp.error()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const m::ByteView input(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    restore_both(input);
    return 0;
  }
  const bool group = (data[0] & 2) == 0;
  m::Bytes state = group ? seeds().group_state : seeds().bundle_state;
  std::size_t i = 0;
  for (; i + 3 <= input.size(); i += 3) {
    const std::size_t at = (std::size_t{input[i]} << 8 | input[i + 1]) % state.size();
    state[at] ^= input[i + 2];
  }
  if (i + 2 <= input.size()) {
    const std::size_t keep = (std::size_t{input[i]} << 8 | input[i + 1]) % (state.size() + 1);
    state.resize(std::max(keep, m::kStateChecksumSize));
  }
  if (state.size() > m::kStateChecksumSize) {
    const m::Bytes sum =
        m::state_checksum(m::ByteView(state).first(state.size() - m::kStateChecksumSize));
    std::copy(sum.begin(), sum.end(), state.end() - static_cast<std::ptrdiff_t>(sum.size()));
  }
  restore_both(state);
  return 0;
}
