#pragma once
// The one place that includes Boost.Asio. Boost 1.74's asio/awaitable.hpp uses std::exchange
// without including <utility>, which fails with GCC 12 in C++20 mode (docs/environment.md §2).
#include <utility>
// clang-format off: <utility> must stay first
#include <boost/asio.hpp>
// clang-format on
