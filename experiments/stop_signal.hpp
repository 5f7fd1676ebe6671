#pragma once
// Ctrl-C and TERM as a request, not a kill: long-running commands (a camera,
// a microphone, a long video) poll stop_requested() and end as their input's
// end would, finishing what they write and printing their summary. A closed
// stdout (`| head`) is ignored rather than fatal, for the same reason.

namespace ser::experiments {

// Installs the handlers (without SA_RESTART: a blocked read returns at once).
void catch_stop_signals();
bool stop_requested();

}  // namespace ser::experiments
