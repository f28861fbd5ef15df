# A Request Tracker 5 scrip that tells the after-hours line when one of its tickets is resolved
# in RT, so the incident follows (docs/deployment.md, "Request Tracker").
#
# Install once, on the RT server:
#   rt-setup-database --action insert --skip-create --datafile afterhours-scrip.pl
# and in RT_SiteConfig.pm (or a file in RT_SiteConfig.d/):
#   Set($AfterHoursURL, 'https://line.example.org');      # the line's PUBLIC_BASE_URL
#   Set($AfterHoursSecret, '...');                         # the line's TICKETS_INBOUND_SECRET
#   Set($AfterHoursLineUser, 'afterhours');                # the line's RT_USER: its own changes
#                                                          # are not sent back (optional)
@Scrips = (
    {
        Description            => 'After-hours line: tell the line a ticket was resolved',
        ScripCondition         => 'On Status Change',
        ScripAction            => 'User Defined',
        Template               => 'Blank',
        CustomIsApplicableCode => '',
        CustomPrepareCode      => 'return 1;',
        CustomCommitCode       => q{
            use JSON ();
            use LWP::UserAgent ();
            use Digest::SHA ();

            my $ticket = $self->TicketObj;
            return 1 unless $ticket->Status eq 'resolved';
            # Only the line's tickets: their subjects start with the line's reference.
            return 1 unless ( $ticket->Subject // '' ) =~ /^\[([A-Z]+-\d+)\]/;
            my $reference = $1;
            my $actor     = $self->TransactionObj->CreatorObj;
            my $line_user = RT->Config->Get('AfterHoursLineUser') // '';
            return 1 if $line_user ne '' && $actor->Name eq $line_user;

            my $body = JSON::encode_json(
                {
                    ticket    => '' . $ticket->id,
                    reference => $reference,
                    status    => 'resolved',
                    by        => $actor->EmailAddress || $actor->Name,
                    # The line takes each delivery once, and only while it is fresh.
                    delivery => 'rt-' . $ticket->id . '-' . $self->TransactionObj->id,
                    sent_at  => time(),
                }
            );
            my $secret = RT->Config->Get('AfterHoursSecret') // '';
            my $url    = ( RT->Config->Get('AfterHoursURL') // '' ) . '/tickets/events';
            my $answer = LWP::UserAgent->new( timeout => 10 )->post(
                $url,
                'Content-Type'           => 'application/json',
                'X-Afterhours-Signature' => 'sha256='
                    . Digest::SHA::hmac_sha256_hex( $body, $secret ),
                Content => $body,
            );
            # RT's own change stands either way; the line's answer says what it did.
            RT->Logger->log(
                level   => $answer->is_success ? 'info' : 'error',
                message => "after-hours line, ticket " . $ticket->id . ": "
                    . $answer->status_line . " " . $answer->decoded_content,
            );
            return 1;
        },
    },
);
1;
