package commet

// FastDecodeAgrees exports fastAgrees to the tests of package commet_test,
// which can reach commettest (it imports this package, so this package's
// own tests cannot).
var FastDecodeAgrees = fastAgrees
