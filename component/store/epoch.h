#pragma once
// Epoch: the number of an MLS group's epoch (RFC 9420 §8.1, GroupContext.epoch) as the component
// and its stores carry it. A type of its own (docs/style.md P4) so that an epoch is not passed
// where a leaf count, a page size or a row id is expected, nor the reverse. The mls/ library
// keeps its own std::uint64_t (it follows the RFC's structs); the delivery service converts at
// that boundary with Epoch{n} and value(), and so do db/ (SQL bigint) and the XML attributes.
#include <compare>
#include <cstdint>

namespace conclave::component {

class Epoch {
 public:
  // Epoch 0, where every group starts.
  constexpr Epoch() = default;
  constexpr explicit Epoch(std::uint64_t value) : value_(value) {}

  // value: the number, for the codec, SQL and XML boundaries.
  constexpr std::uint64_t value() const { return value_; }
  // next: the epoch a commit made in this one leads to. Wraps at 2^64 - 1 as the plain number
  // did; no group gets there (one commit per epoch).
  constexpr Epoch next() const { return Epoch(value_ + 1); }

  friend constexpr bool operator==(const Epoch&, const Epoch&) = default;
  friend constexpr auto operator<=>(const Epoch&, const Epoch&) = default;
  // Equal to a plain number: reads like the epoch numbers the protocol and the tests write,
  // while nothing converts a number into an Epoch implicitly.
  friend constexpr bool operator==(Epoch a, std::uint64_t b) { return a.value_ == b; }

 private:
  std::uint64_t value_ = 0;
};

}  // namespace conclave::component
