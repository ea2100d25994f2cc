package delivery

// Ordering is an endpoint's delivery order (webhook_endpoints.ordering).
type Ordering string

const (
	// Unordered: deliveries go as capacity allows (the default).
	Unordered Ordering = "none"
	// Ordered: the deliveries of one ordering key go one at a time, in
	// publish order.
	Ordered Ordering = "ordered"
)

// Valid reports whether o is a known ordering.
func (o Ordering) Valid() bool { return o == Unordered || o == Ordered }

// OnExhausted is what an ordered key does when its head delivery fails or
// dead-letters (webhook_endpoints.on_exhausted).
type OnExhausted string

const (
	// Block holds the key's later deliveries until unblock-key (the default).
	Block OnExhausted = "block"
	// Skip lets the next delivery of the key go at once.
	Skip OnExhausted = "skip"
)

// Valid reports whether o is a known rule.
func (o OnExhausted) Valid() bool { return o == Block || o == Skip }

// UnblockAction is what unblock-key does with a key's blocked head.
type UnblockAction string

const (
	// SkipHead leaves the head as it is and lets the key move on.
	SkipHead UnblockAction = "skip"
	// RetryHead attempts the head again (a replay in its place) on a fresh
	// schedule; the key moves on once it succeeds.
	RetryHead UnblockAction = "retry"
)
