#!/usr/bin/perl
# peer_mdkim.pl - interop peer built on Perl Mail::DKIM (Debian libmail-dkim-perl).
#
#   peer_mdkim.pl sign --type dkim|domainkeys --domain D --selector S --key KEYFILE
#                 [--algorithm rsa-sha256|rsa-sha1|ed25519-sha256]
#                 [--canon relaxed/relaxed|simple/simple|relaxed/simple|simple/relaxed|nofws|simple]
#                 [--headers from:to:subject] [--identity I] [--no-ed25519-shim]  < msg > signed
#   peer_mdkim.pl verify --dns-port P [--dns-host 127.0.0.1] [--timeout SECS]
#                 [--no-ed25519-shim]  < msg
#
# See README.md in this directory.  Mail::DKIM 1.20230212 has no Ed25519
# support; this script adds it (RFC 8463) through a small shim (see
# "Ed25519 shim" below) that plugs an extra algorithm class into Mail::DKIM
# and does the Ed25519 primitive with the openssl(1) command line tool.
# Canonicalisation, header selection and tag handling stay Mail::DKIM's own.
use strict;
use warnings;

use Getopt::Long qw(GetOptionsFromArray);
use MIME::Base64 qw(encode_base64 decode_base64);
use File::Temp qw(tempdir);
use Digest::SHA;
use Net::DNS;
use Mail::DKIM::DNS;
use Mail::DKIM::PrivateKey;
use Mail::DKIM::PublicKey;
use Mail::DKIM::Signature;
use Mail::DKIM::DkSignature;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Mail::DKIM::Algorithm::Base;
use Crypt::OpenSSL::RSA;

my $ED25519_SHIM = 1;

sub usage {
    print STDERR <<'EOF';
usage:
  peer_mdkim.pl sign --type dkim|domainkeys --domain D --selector S --key KEYFILE
                [--algorithm rsa-sha256|rsa-sha1|ed25519-sha256] [--canon C]
                [--headers h1:h2:...] [--identity I] [--no-ed25519-shim] < msg > signed
  peer_mdkim.pl verify --dns-port P [--dns-host 127.0.0.1] [--timeout SECS]
                [--no-ed25519-shim] < msg
EOF
    exit 2;
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

sub slurp_stdin {
    binmode STDIN;
    local $/;
    my $data = <STDIN>;
    return defined $data ? $data : '';
}

sub slurp_file {
    my ($path) = @_;
    open my $fh, '<', $path or die "cannot read $path: $!\n";
    binmode $fh;
    local $/;
    my $data = <$fh>;
    close $fh;
    return $data;
}

# Mail::DKIM wants CRLF line ends; turn bare LF into CRLF.
sub to_crlf {
    my ($text) = @_;
    $text =~ s/(?<!\015)\012/\015\012/g;
    return $text;
}

# names of the header fields of a message, in message order
sub header_field_names {
    my ($crlf_text) = @_;
    my ($head) = split /\015\012\015\012/, $crlf_text, 2;
    $head = '' unless defined $head;
    my @names;
    for my $line ( split /\015\012/, $head ) {
        next if $line =~ /^[ \t]/;
        push @names, lc $1 if $line =~ /^([^:\s]+)\s*:/;
    }
    return @names;
}

# ---------------------------------------------------------------------------
# Ed25519 primitive through openssl(1)
# ---------------------------------------------------------------------------

my $SPKI_ED25519_PREFIX  = pack( 'H*', '302a300506032b6570032100' );
my $PKCS8_ED25519_PREFIX = pack( 'H*', '302e020100300506032b657004220420' );

sub write_file {
    my ( $path, $data ) = @_;
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    binmode $fh;
    print {$fh} $data;
    close $fh or die "cannot write $path: $!\n";
}

sub run_quiet {
    my @cmd = @_;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ( $pid == 0 ) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec {$cmd[0]} @cmd or exit 127;
    }
    waitpid $pid, 0;
    return $? >> 8;
}

sub ed25519_sign {
    my ( $seed, $msg ) = @_;
    my $dir = tempdir( CLEANUP => 1 );
    write_file( "$dir/key.der", $PKCS8_ED25519_PREFIX . $seed );
    write_file( "$dir/msg",     $msg );
    my $rc = run_quiet( 'openssl', 'pkeyutl', '-sign', '-keyform', 'DER',
        '-inkey', "$dir/key.der", '-rawin', '-in', "$dir/msg", '-out',
        "$dir/sig" );
    die "openssl ed25519 signing failed\n" if $rc != 0;
    my $sig = slurp_file("$dir/sig");
    die "openssl ed25519 signature has wrong length\n" if length($sig) != 64;
    return $sig;
}

sub ed25519_verify {
    my ( $pub, $msg, $sig ) = @_;
    return 0 unless length($pub) == 32 && length($sig) == 64;
    my $dir = tempdir( CLEANUP => 1 );
    write_file( "$dir/pub.der", $SPKI_ED25519_PREFIX . $pub );
    write_file( "$dir/msg",     $msg );
    write_file( "$dir/sig",     $sig );
    my $rc = run_quiet( 'openssl', 'pkeyutl', '-verify', '-pubin', '-keyform',
        'DER', '-inkey', "$dir/pub.der", '-rawin', '-in', "$dir/msg",
        '-sigfile', "$dir/sig" );
    return $rc == 0 ? 1 : 0;
}

# ---------------------------------------------------------------------------
# Private key loading (PKCS#1 / PKCS#8 PEM for RSA; PKCS#8 PEM or raw base64
# seed for Ed25519).  Returns ( 'rsa', Mail::DKIM::PrivateKey ) or
# ( 'ed25519', DkmodPeer::Ed25519PrivateKey ).
# ---------------------------------------------------------------------------

sub load_private_key {
    my ($path) = @_;
    my $text = slurp_file($path);
    if ( $text =~ /-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)-----END \1-----/s ) {
        my ( $label, $b64 ) = ( $1, $2 );
        my $der = decode_base64($b64);
        if ( $label eq 'PRIVATE KEY' && index( $der, pack( 'H*', '06032b6570' ) ) >= 0 ) {
            # PKCS#8 Ed25519: the seed is the OCTET STRING inside the
            # privateKey OCTET STRING (04 22 04 20 <32 bytes>)
            my $i = index( $der, pack( 'H*', '04220420' ) );
            die "$path: cannot find the Ed25519 seed in the PKCS#8 key\n"
              if $i < 0 || length($der) < $i + 4 + 32;
            return ( 'ed25519', DkmodPeer::Ed25519PrivateKey->new( substr( $der, $i + 4, 32 ) ) );
        }
        if ( $label eq 'RSA PRIVATE KEY' || $label eq 'PRIVATE KEY' ) {
            # Mail::DKIM::PrivateKey->load(File => ...) re-labels any PEM
            # body as "RSA PRIVATE KEY" (PKCS#1), which breaks PKCS#8 keys;
            # hand the PEM to Crypt::OpenSSL::RSA directly instead.
            my $pem = "-----BEGIN $label-----\n";
            ( my $clean = $b64 ) =~ s/\s+//g;
            $pem .= "$1\n" while $clean =~ /(.{1,64})/g;
            $pem .= "-----END $label-----\n";
            my $rsa = Crypt::OpenSSL::RSA->new_private_key($pem);
            return ( 'rsa', Mail::DKIM::PrivateKey->load( Cork => $rsa ) );
        }
        die "$path: unsupported PEM type '$label'\n";
    }
    # no PEM armour: base64 text
    ( my $clean = $text ) =~ s/\s+//g;
    my $raw = decode_base64($clean);
    if ( length($raw) == 32 || length($raw) == 64 ) {
        # raw Ed25519 seed (dkimpy / Mail::DKIM upstream style); a 64-byte
        # value is seed||public key
        return ( 'ed25519', DkmodPeer::Ed25519PrivateKey->new( substr( $raw, 0, 32 ) ) );
    }
    # base64 of an RSA DER key, the format Mail::DKIM itself expects
    return ( 'rsa', Mail::DKIM::PrivateKey->load( Data => $clean ) );
}

# ---------------------------------------------------------------------------
# Ed25519 shim for Mail::DKIM 1.20230212 (which only knows rsa-sha1 and
# rsa-sha256).  Enabled unless --no-ed25519-shim is given.
# ---------------------------------------------------------------------------

{

    package DkmodPeer::Ed25519PrivateKey;

    sub new {
        my ( $class, $seed ) = @_;
        return bless { seed => $seed }, $class;
    }
    sub seed { $_[0]{seed} }
}

{

    package DkmodPeer::Ed25519PublicCork;

    sub new {
        my ( $class, $raw ) = @_;
        return bless { raw => $raw }, $class;
    }
    sub raw  { $_[0]{raw} }
    sub size { length $_[0]{raw} }    # Verifier computes bits as size*8
}

{

    package DkmodPeer::Algorithm::ed25519_sha256;
    use base 'Mail::DKIM::Algorithm::Base';
    use MIME::Base64 qw(encode_base64 decode_base64);
    use Digest::SHA;

    sub init_digests {
        my $self = shift;
        $self->{header_digest} = Digest::SHA->new(256);
        $self->{body_digest}   = Digest::SHA->new(256);
    }

    # RFC 8463 section 3: PureEdDSA Ed25519 over the SHA-256 hash of the
    # canonicalised header data
    sub sign {
        my ( $self, $key ) = @_;
        die "ed25519-sha256 needs an Ed25519 private key\n"
          unless ref $key && $key->isa('DkmodPeer::Ed25519PrivateKey');
        my $digest = $self->{header_digest}->digest;
        return encode_base64( main::ed25519_sign( $key->seed, $digest ), '' );
    }

    sub verify {
        my $self = shift;
        my $sigb64 = $self->signature->data;
        my $pkey   = $self->signature->get_public_key;
        my $cork   = $pkey->cork;
        die "public key is not an Ed25519 key\n"
          unless ref $cork && $cork->isa('DkmodPeer::Ed25519PublicCork');
        my $digest = $self->{header_digest}->digest;
        ( my $clean = defined $sigb64 ? $sigb64 : '' ) =~ s/\s+//g;
        return unless main::ed25519_verify( $cork->raw, $digest, decode_base64($clean) );
        return $self->check_body_hash;
    }

    sub wants_pre_signature_headers { return 1 }
}

sub install_ed25519_shim {
    no warnings 'redefine';

    my $orig_class = \&Mail::DKIM::Signature::get_algorithm_class;
    *Mail::DKIM::Signature::get_algorithm_class = sub {
        my ( $self, $alg ) = @_;
        return 'DkmodPeer::Algorithm::ed25519_sha256'
          if defined $alg && $alg eq 'ed25519-sha256';
        return $orig_class->(@_);
    };

    my $orig_hash = \&Mail::DKIM::Signature::hash_algorithm;
    *Mail::DKIM::Signature::hash_algorithm = sub {
        my ($self) = @_;
        my $alg = $self->algorithm;
        return 'sha256' if defined $alg && $alg eq 'ed25519-sha256';
        return $orig_hash->(@_);
    };

    # key record check: same rules as Mail::DKIM's own check(), plus k=ed25519
    my $orig_check = \&Mail::DKIM::PublicKey::check;
    *Mail::DKIM::PublicKey::check = sub {
        my $self = shift;
        my $k    = $self->get_tag('k');
        return $orig_check->( $self, @_ )
          unless defined $k && $k eq 'ed25519';
        if ( my $v = $self->get_tag('v') ) {
            die "unsupported version\n" unless $v eq 'DKIM1';
        }
        $self->granularity;
        my $p = $self->data;
        die "missing p= tag\n" if not defined $p;
        die "revoked\n"        if $p eq '';
        die "invalid data\n" unless $p =~ /^[A-Za-z0-9\+\/\=]+$/;
        my $raw = decode_base64($p);
        die "invalid Ed25519 key length " . length($raw) . "\n"
          unless length($raw) == 32;
        $self->cork( DkmodPeer::Ed25519PublicCork->new($raw) );
        if ( my $s = $self->get_tag('s') ) {
            my @list = split( /:/, $s );
            die "does not support email\n"
              unless grep { $_ eq '*' || $_ eq 'email' } @list;
        }
        return 1;
    };

    # an RSA algorithm handed an Ed25519 key: say so instead of crashing
    my $orig_vd = \&Mail::DKIM::PublicKey::verify_digest;
    *Mail::DKIM::PublicKey::verify_digest = sub {
        my $self = shift;
        die "public key type ed25519 does not match an RSA signature\n"
          if ref $self->{CORK} && $self->{CORK}->isa('DkmodPeer::Ed25519PublicCork');
        return $orig_vd->( $self, @_ );
    };
}

# ---------------------------------------------------------------------------
# sign
# ---------------------------------------------------------------------------

sub cmd_sign {
    my @args = @_;
    my %o = ( type => 'dkim' );
    GetOptionsFromArray(
        \@args, \%o,             'type=s',     'domain=s',
        'selector=s', 'key=s',   'algorithm=s', 'canon=s',
        'headers=s',  'identity=s', 'no-ed25519-shim',
    ) or usage();
    usage() if @args;
    for my $req (qw(domain selector key)) {
        die "sign: --$req is required\n" unless defined $o{$req};
    }
    $ED25519_SHIM = 0 if $o{'no-ed25519-shim'};
    install_ed25519_shim() if $ED25519_SHIM;

    my $type = lc $o{type};
    die "sign: --type must be dkim or domainkeys\n"
      unless $type eq 'dkim' || $type eq 'domainkeys';

    my ( $ktype, $key ) = load_private_key( $o{key} );

    my $alg = $o{algorithm};
    if ( !defined $alg ) {
        $alg =
            $type eq 'domainkeys' ? 'rsa-sha1'
          : $ktype eq 'ed25519'   ? 'ed25519-sha256'
          :                         'rsa-sha256';
    }
    $alg = lc $alg;
    if ( $type eq 'domainkeys' ) {
        die "sign: DomainKeys only has rsa-sha1\n" unless $alg eq 'rsa-sha1';
    }
    die "sign: algorithm $alg does not match the $ktype key in $o{key}\n"
      if ( $alg eq 'ed25519-sha256' ) != ( $ktype eq 'ed25519' );
    die "sign: Mail::DKIM has no ed25519 without the shim\n"
      if $alg eq 'ed25519-sha256' && !$ED25519_SHIM;

    my $canon = defined $o{canon} ? lc $o{canon}
      : $type eq 'domainkeys' ? 'simple' : 'relaxed/relaxed';
    if ( $type eq 'domainkeys' ) {
        die "sign: DomainKeys canonicalization is simple or nofws\n"
          unless $canon eq 'simple' || $canon eq 'nofws';
    }
    else {
        die "sign: bad DKIM canonicalization '$canon'\n"
          unless $canon =~ m{^(simple|relaxed)(/(simple|relaxed))?$};
    }

    my $input = slurp_stdin();
    my $crlf_in = ( $input =~ /\015\012/ ) ? 1 : 0;
    my $feed = to_crlf($input);

    my $headers = $o{headers};
    if ( defined $headers && $type eq 'domainkeys' ) {
        # RFC 4870 3.3: h= lists the headers in the order they are
        # presented, i.e. message order.  Mail::DKIM hashes them in h=
        # order, so build h= from the message: every occurrence of a
        # wanted name, in message order (names absent from the message
        # are dropped; DomainKeys has no "sign absence" semantics).
        my %want = map { lc($_) => 1 } grep { length } split /\s*:\s*/, $headers;
        my @h = grep { $want{$_} } header_field_names($feed);
        die "sign: none of --headers $headers occurs in the message\n" unless @h;
        $headers = join ':', @h;
    }

    my $signer;
    $signer = Mail::DKIM::Signer->new(
        Policy => sub {
            my $s = shift;
            my $sig;
            if ( $type eq 'domainkeys' ) {
                $sig = Mail::DKIM::DkSignature->new(
                    Algorithm => 'rsa-sha1',
                    Method    => $canon,
                    Domain    => $o{domain},
                    Selector  => $o{selector},
                    Key       => $key,
                    ( defined $headers ? ( Headers => $headers ) : () ),
                );
            }
            else {
                $sig = Mail::DKIM::Signature->new(
                    Algorithm => $alg,
                    Method    => $canon,
                    Domain    => $o{domain},
                    Selector  => $o{selector},
                    Key       => $key,
                    Headers   => ( defined $headers ? $headers : $s->headers ),
                    ( defined $o{identity} ? ( Identity => $o{identity} ) : () ),
                );
            }
            $s->add_signature($sig);
            return 1;
        },
    );
    $signer->PRINT($feed);
    $signer->CLOSE;
    my $sig = $signer->signature
      or die "sign: Mail::DKIM produced no signature\n";

    my $hdr = $sig->as_string;
    $hdr =~ s/\015?\012/\015\012/g;
    $hdr =~ s/\015\012\z//;
    $hdr .= "\015\012";
    $hdr =~ s/\015\012/\012/g unless $crlf_in;
    binmode STDOUT;
    print $hdr, $input;
    return 0;
}

# ---------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------

sub one_line {
    my ($s) = @_;
    $s = '' unless defined $s;
    $s =~ s/[\015\012\t ]+/ /g;
    $s =~ s/^ | $//g;
    return $s;
}

sub cmd_verify {
    my @args = @_;
    my %o = ( 'dns-host' => '127.0.0.1', timeout => 5 );
    GetOptionsFromArray( \@args, \%o, 'dns-port=i', 'dns-host=s', 'timeout=i',
        'no-ed25519-shim' )
      or usage();
    usage() if @args;
    unless ( $o{'dns-port'} ) {
        print STDERR "verify: --dns-port is required\n";
        exit 2;
    }
    $ED25519_SHIM = 0 if $o{'no-ed25519-shim'};
    install_ed25519_shim() if $ED25519_SHIM;

    my $res = Net::DNS::Resolver->new(
        nameservers => [ $o{'dns-host'} ],
        port        => $o{'dns-port'},
        recurse     => 1,
        defnames    => 0,
        dnsrch      => 0,
        searchlist  => [],
        retry       => 2,
        retrans     => 1,
        udp_timeout => $o{timeout},
        tcp_timeout => $o{timeout},
    );
    $res->udppacketsize(1232);
    Mail::DKIM::DNS::resolver($res);
    $Mail::DKIM::DNS::TIMEOUT = $o{timeout} * 3 + 1;

    my $input = slurp_stdin();
    my $v = Mail::DKIM::Verifier->new();
    $v->PRINT( to_crlf($input) );
    $v->CLOSE;

    binmode STDOUT;
    for my $sig ( $v->signatures ) {
        my $method = $sig->isa('Mail::DKIM::DkSignature') ? 'domainkeys' : 'dkim';
        my ( $d, $s, $a ) = ( '', '', '' );
        eval { $d = $sig->domain;    1 };
        eval { $s = $sig->selector;  1 };
        eval { $a = $sig->algorithm; 1 };
        printf "%s %s d=%s s=%s a=%s detail=%s\n", $method,
          one_line( $sig->result || 'none' ), one_line($d), one_line($s),
          one_line($a), one_line( $sig->result_detail );
    }
    printf "overall %s\n", one_line( $v->result || 'none' );
    return 0;
}

# ---------------------------------------------------------------------------

my $cmd = shift @ARGV;
usage() unless defined $cmd;
if ( $cmd eq 'sign' ) {
    exit cmd_sign(@ARGV);
}
elsif ( $cmd eq 'verify' ) {
    my $rc = eval { cmd_verify(@ARGV); 1 };
    unless ($rc) {
        my $e = $@;
        chomp $e;
        print STDERR "peer_mdkim.pl verify: $e\n";
        print "overall temperror\n";
    }
    exit 0;
}
else {
    usage();
}
