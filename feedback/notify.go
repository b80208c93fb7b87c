package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mattranso/mattranso/mail"
)

// Mailer writes an e-mail to the outbox within the caller's transaction;
// *mail.Outbox is one.
type Mailer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, m mail.Message) error
}

// MailKindAnswered is the outbox's kind of the message telling a citizen
// that their item was answered; its Ref is the tracking code.
const MailKindAnswered = "feedback.answered"

// notifyAnswered writes, within the transaction that answers it, the
// message telling the citizen who left an e-mail address that their item
// was answered: the tracking code, the status page's address and the
// public answer — what the status page shows, and nothing of the
// officers' notes, history details or other items. Without a Mailer, or
// without an address, nothing is written. An address the outbox would
// refuse (the intake accepts a few that it does not) is skipped with a
// log line rather than failing the answer.
func (h *Handling) notifyAnswered(ctx context.Context, q Querier, it *Item, unitName string) error {
	if h.mailer == nil {
		return nil
	}
	tx, ok := q.(*sql.Tx)
	if !ok {
		return errors.New("feedback: notify: the update is not in a transaction")
	}
	var name, email string
	err := tx.QueryRowContext(ctx, `SELECT name, email FROM feedback_contacts WHERE item_id = $1`, it.ID).Scan(&name, &email)
	if errors.Is(err, sql.ErrNoRows) || err == nil && email == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("feedback: notify: contact of item %d: %w", it.ID, err)
	}
	to, err := mail.CheckAddress(email)
	if err != nil {
		h.log.WarnContext(ctx, "feedback: the citizen's address cannot be written to; no e-mail", "item", it.ID, "err", err)
		return nil
	}
	m := answeredMessage(it, name, unitName, h.statusURL(it.Code))
	m.To = to
	if err := h.mailer.Enqueue(ctx, tx, m); err != nil {
		return fmt.Errorf("feedback: notify: item %d: %w", it.ID, err)
	}
	return nil
}

// statusURL is the address of an item's public status page.
func (h *Handling) statusURL(code string) string {
	return h.publicURL + "/phan-anh/" + url.PathEscape(FormatCode(code))
}

// answeredMessage is the e-mail of an answer: what the public status page
// shows of it, addressed to the one who sent it.
func answeredMessage(it *Item, name, unitName, link string) mail.Message {
	code := FormatCode(it.Code)
	var b strings.Builder
	if name != "" {
		fmt.Fprintf(&b, "Kính gửi %s,\n\n", name)
	} else {
		b.WriteString("Kính gửi ông/bà,\n\n")
	}
	fmt.Fprintf(&b, "Phản ánh, kiến nghị mã %s của ông/bà đã được %s trả lời:\n\n", code, unitName)
	b.WriteString(strings.TrimSpace(it.Answer))
	fmt.Fprintf(&b, "\n\nXem quá trình giải quyết: %s\n\n", link)
	b.WriteString("Thư này được gửi tự động từ hệ thống Mặt trận số vì ông/bà đã để lại địa chỉ e-mail khi gửi phản ánh; vui lòng không trả lời thư này.\n")
	return mail.Message{
		Subject: "Phản ánh " + code + " đã được trả lời",
		Text:    b.String(),
		Kind:    MailKindAnswered,
		Ref:     code,
	}
}
