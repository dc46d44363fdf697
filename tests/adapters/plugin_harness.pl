#!/usr/bin/perl -T
# plugin_harness.pl - runs the qpsmtpd plugin adapters/stdio/dkmod outside
# qpsmtpd, under taint mode like qpsmtpd: the plugin is compiled by
# qpsmtpd's own Qpsmtpd::Plugin->compile, with stand-in connection,
# transaction and SMTP objects; its filter is a real dkmod-stdio.
#
# usage: plugin_harness.pl PLUGIN OUTDIR PLUGIN_ARGS... -- STEP...
# steps: msg:FILE[:relay][:auth=USER][:from=ADDR][:ip=IPV4][:helo=NAME]  run data_post on FILE;
#                                     prints "N RESULT CODE TEXT" (RESULT: DECLINED or DONE;
#                                     CODE/TEXT of respond, if any), the header after the hook
#                                     goes to OUTDIR/N.hdr
#        kill       SIGKILL the filter now (it dies between messages)
#        stop       SIGSTOP the filter (the next message times out)
#        pid        prints "pid PID" of the current filter (or "pid none")
#        end        run post-connection (the filter is stopped)
use strict;
use warnings;
use lib '/usr/share/perl5';
use Mail::Header;
use Qpsmtpd::Constants;
require Qpsmtpd::Plugin;

my ($plugin_file, $outdir, @rest) = @ARGV;
($plugin_file) = $plugin_file =~ m{^(/.+)$} or die "PLUGIN must be absolute\n";
($outdir)      = $outdir =~ m{^(/.+)$}      or die "OUTDIR must be absolute\n";
my (@pargs, @steps);
my $in_steps = 0;
for (@rest) {
    if ($_ eq '--') { $in_steps = 1; next }
    if ($in_steps) { push @steps, $_ } else { push @pargs, $_ }
}

# ---- stand-ins for the parts of qpsmtpd the plugin uses
package H::Addr;
sub new { my ($c, $a) = @_; bless {a => $a}, $c }
sub address { $_[0]{a} }

package H::Conn;
sub new { bless {relay => 0, ip => '127.0.0.1', helo => 'client.example.org'}, shift }
sub relay_client { my $s = shift; $s->{relay} = shift if @_; $s->{relay} }
sub remote_ip { $_[0]{ip} }
sub hello_host { $_[0]{helo} }

package H::Txn;
sub new { my ($c, %a) = @_; bless {%a}, $c }
sub sender { $_[0]{sender} }
sub recipients { @{$_[0]{rcpts}} }
sub header { $_[0]{header} }
sub body_filename { $_[0]{file} }

package H::QP;
sub new { bless {conn => H::Conn->new, auth => '', responses => [], resets => 0}, shift }
sub connection { $_[0]{conn} }
sub transaction { $_[0]{txn} }
sub auth_user { $_[0]{auth} }
sub respond { my ($s, $code, @t) = @_; push @{$s->{responses}}, [$code, join(' ', @t)]; 1 }
sub reset_transaction { $_[0]{resets}++ }
sub log { }
sub varlog { my ($s, $level, $hook, $name, @m) = @_; print STDERR "log[$level] @m\n" if $ENV{HARNESS_LOG} }
sub _register_hook { }
sub config { () }

package main;

Qpsmtpd::Plugin->compile('dkmod', 'Qpsmtpd::Plugin::dkmod', $plugin_file);
my $plugin = Qpsmtpd::Plugin::dkmod->new;
my $qp = H::QP->new;
$plugin->{_qp} = $qp;
$plugin->register($qp, @pargs);
$| = 1;
my $n = 0;
for my $step (@steps) {
    my $f = $plugin->{_filter};
    if ($step eq 'kill' || $step eq 'stop') {
        if ($f) { if ($step eq 'kill') { kill 'KILL', $f->{pid} } else { kill 'STOP', $f->{pid} } }
        select(undef, undef, undef, 0.3);
        next;
    }
    if ($step eq 'pid') {
        print 'pid ', ($f ? $f->{pid} : 'none'), "\n";
        next;
    }
    if ($step eq 'end') {
        $plugin->hook_post_connection;
        next;
    }
    my ($file, @opts) = split /:/, $step;
    $file =~ s/^msg=?//;
    ($file) = $file =~ m{^(/.+)$} or die "bad step $step\n";
    my %o = map { /^(\w+)(?:=(.*))?$/ ? ($1 => $2 // 1) : () } @opts;
    open(my $fh, '<', $file) or die "$file: $!\n";
    my @lines;
    while (my $l = <$fh>) { last if $l =~ /^\r?\n$/; push @lines, $l }
    close $fh;
    my $h = Mail::Header->new(\@lines, Modify => 0, MailFrom => 'COERCE');
    # what qpsmtpd puts on top before data_post
    $h->add('Authentication-Results', 'mx.example.net; auth=none', 0);
    $h->add('Received', "from client (127.0.0.1)\n\tby mx.example.net (qpsmtpd) with ESMTP", 0);
    $qp->{conn}{relay} = $o{relay} ? 1 : 0;
    $qp->{conn}{ip} = $o{ip} // '127.0.0.1';
    $qp->{conn}{helo} = $o{helo} // 'client.example.org';
    $qp->{auth} = $o{auth} // '';
    my $txn = H::Txn->new(sender => H::Addr->new($o{from} // 'alice@example.org'),
        rcpts => [H::Addr->new('bob@example.net')], header => $h, file => $file);
    $qp->{txn} = $txn;
    $qp->{responses} = [];
    $n++;
    my ($rc) = $plugin->hook_data_post($txn);
    my $r = $qp->{responses}[0];
    printf "%d %s %s %s\n", $n, ($rc == DONE ? 'DONE' : $rc == DECLINED ? 'DECLINED' : "rc=$rc"),
        ($r ? $r->[0] : '-'), ($r ? $r->[1] : '-');
    my ($out) = "$outdir/$n.hdr" =~ m{^(.+)$};
    open(my $oh, '>', $out) or die "$out: $!\n";
    print $oh $h->as_string;
    close $oh;
}
