// What the client's calls resolve to: plain values, free of protobuf types.
#ifndef ARBOR_CLIENT_TYPES_H_
#define ARBOR_CLIENT_TYPES_H_

#include <cstdint>

#include "api/results.h"
#include "common/ids.h"

namespace arbor::client {

// A watch's id: the correlation id of its WatchRequest (never 0).
using WatchId = uint64_t;

// The operations' results (api/results.h), under the client's names.
using CreateResult = api::CreateResult;
using ExecResult = api::ExecResult;
using NodeState = api::NodeState;
using NodeInfo = api::NodeInfo;
using ControllerStats = api::Stats;
using EventKind = api::EventKind;
using NodeEvent = api::NodeEvent;

// This client's own counters (Client::counters()).
struct ClientCounters {
  uint64_t sent = 0;            // requests written to the socket
  uint64_t answered = 0;        // calls resolved by a reply
  uint64_t timed_out = 0;       // calls resolved by the local deadline
  uint64_t cancelled = 0;       // calls resolved by Close()
  uint64_t send_failed = 0;     // calls resolved by a failed send or the in-flight cap
  uint64_t late_replies = 0;    // replies to no pending call (late or unknown)
  uint64_t events = 0;          // node events delivered to a watch
  uint64_t dropped_frames = 0;  // frames that did not decode as a reply
};

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_TYPES_H_
