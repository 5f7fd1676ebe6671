#pragma once
// The most resident memory this process has held so far (getrusage's
// ru_maxrss, which Linux gives in KiB), in MiB: what a run's timings.json
// reports, since a run that outgrows a machine's memory is killed, not slowed.

namespace ser {

double peak_resident_mib();

}  // namespace ser
