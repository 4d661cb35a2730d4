package sfu

// Permissions say what a participant may do in its room. The signaling
// layer fills them from the participant's access token; a server without
// tokens lets everyone do everything.
type Permissions struct {
	Publish       bool // camera and microphone
	PublishScreen bool // screen share
	Subscribe     bool // receive the others' tracks
}

// AllPermissions is what a participant of an open server may do.
func AllPermissions() Permissions {
	return Permissions{Publish: true, PublishScreen: true, Subscribe: true}
}

// MayPublish tells whether a track of source may be published.
func (p Permissions) MayPublish(source string) bool {
	if source == SourceScreen {
		return p.PublishScreen
	}
	return p.Publish
}

// JoinOption configures one participant at Join.
type JoinOption func(*joinConfig)

type joinConfig struct {
	perms    Permissions
	identity string
}

// WithIdentity names who the participant is (an access token's subject).
// One identity holds one place in a room: a second join replaces the first,
// whose listener hears Closed(ErrReplaced), as when a tab reconnects.
func WithIdentity(id string) JoinOption {
	return func(c *joinConfig) { c.identity = id }
}

// WithPermissions limits what the participant may do; without it, it may
// do everything. A participant without Subscribe still hears of the others'
// tracks but is sent none of them.
func WithPermissions(p Permissions) JoinOption {
	return func(c *joinConfig) { c.perms = p }
}

func joinOptions(opts []JoinOption) joinConfig {
	c := joinConfig{perms: AllPermissions()}
	for _, o := range opts {
		o(&c)
	}
	return c
}
