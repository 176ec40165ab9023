import X509
import SignetCore
public enum PKIPlaceholder {}
