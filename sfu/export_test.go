package sfu

// Live is s's live counters, for the tests of package sfu_test that
// increment each row of the table where the packet path would.
func (s *SFU) Live() *counters { return &s.stats }
