package auth_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"
	"github.com/hubedge/hubedge/auth"
)

func ExampleParseMechanisms() {
	set, err := auth.ParseMechanisms("TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer")
	fmt.Println(set, err, set.Validate())

	set, _ = auth.ParseMechanisms("Tls, Integrated")
	fmt.Println(errors.Is(set.Validate(), auth.ErrUnsupported))
	// Output:
	// Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer <nil> <nil>
	// true
}

func ExampleOffer() {
	set, _ := auth.ParseMechanisms("Tls, BasicAuth, BasicAuthRequireTLS")
	before := auth.Offer(set, auth.State{})
	fmt.Printf("before TLS: STARTTLS=%v AUTH=%v\n", before.StartTLS, before.SASL)
	fmt.Println(auth.CheckAuthAllowed(set, auth.State{}))

	after := auth.Offer(set, auth.State{TLS: true})
	fmt.Printf("after TLS:  STARTTLS=%v AUTH=%v\n", after.StartTLS, after.SASL)
	// Output:
	// before TLS: STARTTLS=true AUTH=[]
	// auth: encryption required for requested authentication mechanism
	// after TLS:  STARTTLS=false AUTH=[PLAIN LOGIN]
}

func ExampleNewLoginServer() {
	users := auth.NewStatic(map[string]string{`CONTOSO\gw`: "s3cret"})
	server := auth.NewLoginServer(context.Background(), users, func(id auth.Identity) {
		fmt.Println("authenticated:", id.Principal, id.Groups, id.Mechanism)
	})
	client := sasl.NewLoginClient(`CONTOSO\gw`, "s3cret")

	_, resp, _ := client.Start() // LOGIN sends the user name as initial response
	challenge, _, _ := server.Next(resp)
	fmt.Printf("server: %s\n", challenge)
	resp, _ = client.Next(challenge)
	_, done, err := server.Next(resp)
	fmt.Println(done, err)
	// Output:
	// server: Password:
	// authenticated: CONTOSO\gw [NT AUTHORITY\Authenticated Users] LOGIN
	// true <nil>
}

func ExamplePlan() {
	// seeds/000: New-SendConnector ... -SmartHosts Hub1.FourthCoffee.com
	//   -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred
	p := auth.ClientPolicy{
		Auth:        auth.SmartHostBasicAuthRequireTLS,
		Credentials: auth.Credentials{Username: "FourthCoffee@Contoso.com", Password: "pw"},
	}
	host := "Hub1.FourthCoffee.com"
	ehlo := auth.Extensions{StartTLS: true}
	st := auth.ClientState{}
	for {
		step, err := auth.Plan(p, host, ehlo, st)
		if err != nil {
			fmt.Println("defer:", err)
			return
		}
		switch step.Kind {
		case auth.StepStartTLS:
			fmt.Println("STARTTLS")
			st.TLS = true
			ehlo = auth.Extensions{Auth: []string{"LOGIN", "PLAIN"}}
		case auth.StepVerify:
			fmt.Println("verify certificate for", step.VerifyName)
			st.Verified = true // after p.VerifyPeer(host, "", conn.ConnectionState(), roots) == nil
		case auth.StepAuth:
			fmt.Println("AUTH", step.Mechanism, "as", p.Credentials)
			st.Authenticated = true
		case auth.StepProceed:
			fmt.Println("MAIL FROM")
			return
		}
	}
	// Output:
	// STARTTLS
	// verify certificate for Hub1.FourthCoffee.com
	// AUTH PLAIN as Credentials{Username: "FourthCoffee@Contoso.com", Password: REDACTED}
	// MAIL FROM
}

func ExamplePlan_requireTLSWithoutStartTLS() {
	p := auth.ClientPolicy{RequireTLS: true}
	_, err := auth.Plan(p, "smtp.fabrikam.com", auth.Extensions{}, auth.ClientState{})
	var pe *auth.PolicyError
	fmt.Println(errors.As(err, &pe), pe.Temporary(), errors.Is(err, auth.ErrStartTLSRequired))
	// Output:
	// true true true
}

func ExampleParseSmartHostAuth() {
	// seeds/004 writes the single-valued parameter as a list.
	a, err := auth.ParseSmartHostAuth("BasicAuth,BasicAuthRequireTLS")
	fmt.Println(a, err)
	// Output:
	// BasicAuthRequireTLS <nil>
}
