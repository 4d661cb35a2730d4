package twcc

import (
	"errors"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// ErrNoEstimatorHook: NewSenderInterceptor was not told where each
// PeerConnection's estimator goes (WithEstimatorHook).
var ErrNoEstimatorHook = errors.New("twcc: no estimator hook")

// Option configures a SenderInterceptorFactory.
type Option func(*SenderInterceptorFactory) error

// WithEstimatorHook names the function that receives each PeerConnection's
// estimator, with the PeerConnection's id, as its interceptor is made.
func WithEstimatorHook(f func(id string, e *bwe.SendSide)) Option {
	return func(s *SenderInterceptorFactory) error {
		if f == nil {
			return ErrNoEstimatorHook
		}
		s.onEstimator = f
		return nil
	}
}
