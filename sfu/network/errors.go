package network

import "errors"

// Errors NewConfig, Listen and ParseNATMapping report, wrapped with what
// was wrong; callers test them with errors.Is.
var (
	// ErrBadConfig reports network options that cannot work: a port out
	// of range, a NAT mapping across address families or not an address,
	// a port taken.
	ErrBadConfig = errors.New("network: bad configuration")
	// ErrBadICEIP reports an entry of WithICEIPs that is not an address.
	ErrBadICEIP = errors.New("network: bad ICE IP")
)
