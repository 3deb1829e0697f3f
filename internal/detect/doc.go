// Package detect is debug mode's machinery: the registry of watched
// variables, the process-wide view of the invocations in flight, the checks
// made before and after them and the redaction of what they report.
//
// Its rules are those a detector must keep to be left on in front of a
// correct program:
//
//   - It never blocks a handler on another handler, nor crashes a correct
//     program. A variable without a lock of its own is read only when the
//     whole process is quiet: no handler of any guard runs and no goroutine
//     an earlier invocation left is alive. Such moments come by themselves
//     (the end of each invocation when they run one at a time); they are
//     never made by holding handlers back, and a process that is never
//     quiet is told which variables could not be checked. The snapshot
//     walk treats values that another lock protects as opaque.
//   - It reports each change once. Between two quiet moments a change is
//     one finding that names the invocations that ran; a variable with its
//     own lock is diffed against its latest check, not against a copy per
//     invocation in flight.
//   - It never prints request data. Reports are scrubbed of the request
//     strings of every invocation in flight and of the latest ones, map
//     keys are redacted in every path, and values are summarised as type,
//     length and a keyed hash.
//
// guard is its only user; the names a user sees (Watch, GuardedBy, Report,
// Finding, WithDebug...) are guard's.
package detect
