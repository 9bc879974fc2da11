#include "tests/mls/codec/test_types.h"

namespace conclave::mls::test {

Drawing sample_drawing() {
  Shape a;
  a.color = Color::green;
  a.name = {'s', 'q'};
  a.origin = Point{7, 0x01020304};
  a.points = {Point{1, 2}, Point{0xffff, 0xffffffff}};
  a.tag = {0xde, 0xad, 0xbe, 0xef};
  a.stamp = 0x0102030405060708;
  Shape b;  // all defaults: empty name, no origin, no points
  Drawing d;
  d.shapes = {a, b};
  d.labels = {{}, {Bytes{}, Bytes{'x'}}, {Bytes(70, 0x41)}};
  d.extra = a;
  return d;
}

}  // namespace conclave::mls::test
